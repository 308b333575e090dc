using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpsBot.Data.Migrations.SqlServer
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

            migrationBuilder.Sql("""EXEC sp_rename N'[PK_Complaints]', N'PK_Escalations', N'OBJECT';""");

            migrationBuilder.Sql("""EXEC sp_rename N'[PK_ComplaintEvents]', N'PK_EscalationEvents', N'OBJECT';""");

            migrationBuilder.Sql("""UPDATE [OutboxMessages] SET [LiveCard] = REPLACE([LiveCard], N'complaint:', N'escalation:') WHERE [LiveCard] LIKE N'complaint:%';""");
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

            migrationBuilder.Sql("""EXEC sp_rename N'[PK_Escalations]', N'PK_Complaints', N'OBJECT';""");

            migrationBuilder.Sql("""EXEC sp_rename N'[PK_EscalationEvents]', N'PK_ComplaintEvents', N'OBJECT';""");

            migrationBuilder.Sql("""UPDATE [OutboxMessages] SET [LiveCard] = REPLACE([LiveCard], N'escalation:', N'complaint:') WHERE [LiveCard] LIKE N'escalation:%';""");
        }
    }
}
