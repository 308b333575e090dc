using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpsBot.Data.Migrations.SqlServer
{
    /// <inheritdoc />
    public partial class DeliveryEngine : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The lease time is gone (instance heartbeats are the lease now); FailureNotifiedAt is a new, empty column.
            migrationBuilder.DropColumn(
                name: "LeaseUntil",
                table: "OutboxMessages");

            migrationBuilder.AddColumn<DateTime>(
                name: "FailureNotifiedAt",
                table: "OutboxMessages",
                type: "datetime2",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Owner",
                table: "OutboxThrottles",
                type: "nvarchar(128)",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "OwnerSince",
                table: "OutboxThrottles",
                type: "datetime2",
                nullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "CorrelationId",
                table: "OutboxMessages",
                type: "nvarchar(200)",
                maxLength: 200,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "nvarchar(64)",
                oldMaxLength: 64,
                oldNullable: true);

            migrationBuilder.AddColumn<long>(
                name: "DesiredVersion",
                table: "OutboxMessages",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<string>(
                name: "LiveCard",
                table: "OutboxMessages",
                type: "nvarchar(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "SentVersion",
                table: "OutboxMessages",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Throttles",
                table: "OutboxMessages",
                type: "int",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "DispatcherInstances",
                columns: table => new
                {
                    Id = table.Column<string>(type: "nvarchar(128)", maxLength: 128, nullable: false),
                    StartedAt = table.Column<DateTime>(type: "datetime2", nullable: false),
                    HeartbeatAt = table.Column<DateTime>(type: "datetime2", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DispatcherInstances", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_OutboxMessages_LiveCard",
                table: "OutboxMessages",
                column: "LiveCard");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "DispatcherInstances");

            migrationBuilder.DropIndex(
                name: "IX_OutboxMessages_LiveCard",
                table: "OutboxMessages");

            migrationBuilder.DropColumn(
                name: "Owner",
                table: "OutboxThrottles");

            migrationBuilder.DropColumn(
                name: "OwnerSince",
                table: "OutboxThrottles");

            migrationBuilder.DropColumn(
                name: "DesiredVersion",
                table: "OutboxMessages");

            migrationBuilder.DropColumn(
                name: "LiveCard",
                table: "OutboxMessages");

            migrationBuilder.DropColumn(
                name: "SentVersion",
                table: "OutboxMessages");

            migrationBuilder.DropColumn(
                name: "Throttles",
                table: "OutboxMessages");

            migrationBuilder.DropColumn(
                name: "FailureNotifiedAt",
                table: "OutboxMessages");

            migrationBuilder.AddColumn<DateTime>(
                name: "LeaseUntil",
                table: "OutboxMessages",
                type: "datetime2",
                nullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "CorrelationId",
                table: "OutboxMessages",
                type: "nvarchar(64)",
                maxLength: 64,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "nvarchar(200)",
                oldMaxLength: 200,
                oldNullable: true);
        }
    }
}
