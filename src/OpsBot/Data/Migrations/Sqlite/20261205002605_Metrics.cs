using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpsBot.Data.Migrations.Sqlite
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
                type: "TEXT",
                maxLength: 500,
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateTable(
                name: "DigestRuns",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    PeriodKey = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    DueAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ClaimedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ClaimedBy = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    SentAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Late = table.Column<bool>(type: "INTEGER", nullable: false),
                    Recipients = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DigestRuns", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "DownloadLinks",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    QueryJson = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    ViewerId = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    ViewerAadId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    ViewerName = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Uses = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DownloadLinks", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Kudos",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    FromId = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    FromName = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    ToId = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    ToName = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    ResultType = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    ResultRef = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    CustomerId = table.Column<int>(type: "INTEGER", nullable: true),
                    At = table.Column<DateTime>(type: "TEXT", nullable: false)
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
