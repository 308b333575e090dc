using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpsBot.Data.Migrations.SqlServer
{
    /// <inheritdoc />
    public partial class Metrics : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ConfirmedWarnings",
                table: "Commitments",
                type: "nvarchar(500)",
                maxLength: 500,
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateTable(
                name: "DigestRuns",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    Name = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    PeriodKey = table.Column<string>(type: "nvarchar(32)", maxLength: 32, nullable: false),
                    DueAt = table.Column<DateTime>(type: "datetime2", nullable: false),
                    ClaimedAt = table.Column<DateTime>(type: "datetime2", nullable: false),
                    ClaimedBy = table.Column<string>(type: "nvarchar(128)", maxLength: 128, nullable: false),
                    SentAt = table.Column<DateTime>(type: "datetime2", nullable: true),
                    Late = table.Column<bool>(type: "bit", nullable: false),
                    Recipients = table.Column<int>(type: "int", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DigestRuns", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "DownloadLinks",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    Hash = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    Kind = table.Column<string>(type: "nvarchar(32)", maxLength: 32, nullable: false),
                    QueryJson = table.Column<string>(type: "nvarchar(2000)", maxLength: 2000, nullable: false),
                    ViewerId = table.Column<string>(type: "nvarchar(256)", maxLength: 256, nullable: false),
                    ViewerAadId = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: true),
                    ViewerName = table.Column<string>(type: "nvarchar(256)", maxLength: 256, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "datetime2", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "datetime2", nullable: false),
                    Uses = table.Column<int>(type: "int", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DownloadLinks", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Kudos",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    FromId = table.Column<string>(type: "nvarchar(256)", maxLength: 256, nullable: false),
                    FromName = table.Column<string>(type: "nvarchar(256)", maxLength: 256, nullable: false),
                    ToId = table.Column<string>(type: "nvarchar(256)", maxLength: 256, nullable: false),
                    ToName = table.Column<string>(type: "nvarchar(256)", maxLength: 256, nullable: false),
                    Reason = table.Column<string>(type: "nvarchar(1000)", maxLength: 1000, nullable: false),
                    ResultType = table.Column<string>(type: "nvarchar(32)", maxLength: 32, nullable: false),
                    ResultRef = table.Column<string>(type: "nvarchar(100)", maxLength: 100, nullable: false),
                    CustomerId = table.Column<int>(type: "int", nullable: true),
                    At = table.Column<DateTime>(type: "datetime2", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Kudos", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Kudos_Customers_CustomerId",
                        column: x => x.CustomerId,
                        principalTable: "Customers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Enrichments_At",
                table: "Enrichments",
                column: "At");

            migrationBuilder.CreateIndex(
                name: "IX_Commitments_CreatedAt",
                table: "Commitments",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_CreatedAt",
                table: "Alerts",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_DigestRuns_Name_PeriodKey",
                table: "DigestRuns",
                columns: new[] { "Name", "PeriodKey" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_DownloadLinks_ExpiresAt",
                table: "DownloadLinks",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_DownloadLinks_Hash",
                table: "DownloadLinks",
                column: "Hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Kudos_At",
                table: "Kudos",
                column: "At");

            migrationBuilder.CreateIndex(
                name: "IX_Kudos_CustomerId",
                table: "Kudos",
                column: "CustomerId");

            migrationBuilder.CreateIndex(
                name: "IX_Kudos_ToId_At",
                table: "Kudos",
                columns: new[] { "ToId", "At" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "DigestRuns");

            migrationBuilder.DropTable(
                name: "DownloadLinks");

            migrationBuilder.DropTable(
                name: "Kudos");

            migrationBuilder.DropIndex(
                name: "IX_Enrichments_At",
                table: "Enrichments");

            migrationBuilder.DropIndex(
                name: "IX_Commitments_CreatedAt",
                table: "Commitments");

            migrationBuilder.DropIndex(
                name: "IX_Alerts_CreatedAt",
                table: "Alerts");

            migrationBuilder.DropColumn(
                name: "ConfirmedWarnings",
                table: "Commitments");
        }
    }
}
