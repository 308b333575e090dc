using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpsBot.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class EscalationNames : Migration
    {
        /// <summary>
        /// Complaints become escalations: tables, columns, indexes and primary keys are renamed in place (every row stays), and
        /// the outbox rows of an escalation's live card move from the key <c>complaint:&lt;id&gt;</c> to <c>escalation:&lt;id&gt;</c>.
        /// </summary>
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.RenameTable(
                name: "Complaints",
                newName: "Escalations");

            migrationBuilder.RenameTable(
                name: "ComplaintEvents",
                newName: "EscalationEvents");

            migrationBuilder.RenameColumn(
                name: "ComplaintId",
                table: "EscalationEvents",
                newName: "EscalationId");

            migrationBuilder.RenameColumn(
                name: "ComplaintId",
                table: "EscalationTimers",
                newName: "EscalationId");

            migrationBuilder.RenameIndex(
                name: "IX_Complaints_Account_CreatedAt",
                table: "Escalations",
                newName: "IX_Escalations_Account_CreatedAt");

            migrationBuilder.RenameIndex(
                name: "IX_Complaints_AssignedAt",
                table: "Escalations",
                newName: "IX_Escalations_AssignedAt");

            migrationBuilder.RenameIndex(
                name: "IX_Complaints_AssigneeId_Status",
                table: "Escalations",
                newName: "IX_Escalations_AssigneeId_Status");

            migrationBuilder.RenameIndex(
                name: "IX_Complaints_IdempotencyKey",
                table: "Escalations",
                newName: "IX_Escalations_IdempotencyKey");

            migrationBuilder.RenameIndex(
                name: "IX_Complaints_RepUserId_CreatedAt",
                table: "Escalations",
                newName: "IX_Escalations_RepUserId_CreatedAt");

            migrationBuilder.RenameIndex(
                name: "IX_ComplaintEvents_ComplaintId_Id",
                table: "EscalationEvents",
                newName: "IX_EscalationEvents_EscalationId_Id");

            migrationBuilder.RenameIndex(
                name: "IX_EscalationTimers_ComplaintId_Kind",
                table: "EscalationTimers",
                newName: "IX_EscalationTimers_EscalationId_Kind");

            migrationBuilder.Sql("""ALTER TABLE "Escalations" RENAME CONSTRAINT "PK_Complaints" TO "PK_Escalations";""");

            migrationBuilder.Sql("""ALTER TABLE "EscalationEvents" RENAME CONSTRAINT "PK_ComplaintEvents" TO "PK_EscalationEvents";""");

            migrationBuilder.Sql("""ALTER SEQUENCE "Complaints_Id_seq" RENAME TO "Escalations_Id_seq";""");

            migrationBuilder.Sql("""ALTER SEQUENCE "ComplaintEvents_Id_seq" RENAME TO "EscalationEvents_Id_seq";""");

            migrationBuilder.Sql("""UPDATE "OutboxMessages" SET "LiveCard" = REPLACE("LiveCard", 'complaint:', 'escalation:') WHERE "LiveCard" LIKE 'complaint:%';""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.RenameTable(
                name: "Escalations",
                newName: "Complaints");

            migrationBuilder.RenameTable(
                name: "EscalationEvents",
                newName: "ComplaintEvents");

            migrationBuilder.RenameColumn(
                name: "EscalationId",
                table: "ComplaintEvents",
                newName: "ComplaintId");

            migrationBuilder.RenameColumn(
                name: "EscalationId",
                table: "EscalationTimers",
                newName: "ComplaintId");

            migrationBuilder.RenameIndex(
                name: "IX_Escalations_Account_CreatedAt",
                table: "Complaints",
                newName: "IX_Complaints_Account_CreatedAt");

            migrationBuilder.RenameIndex(
                name: "IX_Escalations_AssignedAt",
                table: "Complaints",
                newName: "IX_Complaints_AssignedAt");

            migrationBuilder.RenameIndex(
                name: "IX_Escalations_AssigneeId_Status",
                table: "Complaints",
                newName: "IX_Complaints_AssigneeId_Status");

            migrationBuilder.RenameIndex(
                name: "IX_Escalations_IdempotencyKey",
                table: "Complaints",
                newName: "IX_Complaints_IdempotencyKey");

            migrationBuilder.RenameIndex(
                name: "IX_Escalations_RepUserId_CreatedAt",
                table: "Complaints",
                newName: "IX_Complaints_RepUserId_CreatedAt");

            migrationBuilder.RenameIndex(
                name: "IX_EscalationEvents_EscalationId_Id",
                table: "ComplaintEvents",
                newName: "IX_ComplaintEvents_ComplaintId_Id");

            migrationBuilder.RenameIndex(
                name: "IX_EscalationTimers_EscalationId_Kind",
                table: "EscalationTimers",
                newName: "IX_EscalationTimers_ComplaintId_Kind");

            migrationBuilder.Sql("""ALTER TABLE "Complaints" RENAME CONSTRAINT "PK_Escalations" TO "PK_Complaints";""");

            migrationBuilder.Sql("""ALTER TABLE "ComplaintEvents" RENAME CONSTRAINT "PK_EscalationEvents" TO "PK_ComplaintEvents";""");

            migrationBuilder.Sql("""ALTER SEQUENCE "Escalations_Id_seq" RENAME TO "Complaints_Id_seq";""");

            migrationBuilder.Sql("""ALTER SEQUENCE "EscalationEvents_Id_seq" RENAME TO "ComplaintEvents_Id_seq";""");

            migrationBuilder.Sql("""UPDATE "OutboxMessages" SET "LiveCard" = REPLACE("LiveCard", 'escalation:', 'complaint:') WHERE "LiveCard" LIKE 'escalation:%';""");
        }
    }
}
