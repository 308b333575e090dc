using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpsBot.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class OpenAlertsIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_Alerts_Status_Severity_CreatedAt",
                table: "Alerts",
                columns: new[] { "Status", "Severity", "CreatedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Alerts_Status_Severity_CreatedAt",
                table: "Alerts");
        }
    }
}
