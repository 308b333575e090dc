using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpsBot.Data.Migrations.Sqlite
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
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Owner",
                table: "OutboxThrottles",
                type: "TEXT",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "OwnerSince",
                table: "OutboxThrottles",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "DesiredVersion",
                table: "OutboxMessages",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<string>(
                name: "LiveCard",
                table: "OutboxMessages",
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "SentVersion",
                table: "OutboxMessages",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Throttles",
                table: "OutboxMessages",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "DispatcherInstances",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    StartedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    HeartbeatAt = table.Column<DateTime>(type: "TEXT", nullable: false)
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
                type: "TEXT",
                nullable: true);
        }
    }
}
