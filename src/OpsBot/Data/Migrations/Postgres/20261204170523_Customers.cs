using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace OpsBot.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Customers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "CustomerId",
                table: "KpiStates",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "CustomerId",
                table: "KpiReadings",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "CustomerId",
                table: "ExecutiveSponsorships",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "CustomerId",
                table: "Escalations",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "CustomerId",
                table: "Alerts",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "CustomerId",
                table: "AlertRoutes",
                type: "integer",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "Customers",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Number = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    LegalName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    SearchName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Segment = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Industry = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    OwnerId = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    OwnerName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    ParentId = table.Column<int>(type: "integer", nullable: true),
                    Restricted = table.Column<bool>(type: "boolean", nullable: false),
                    NeedsReview = table.Column<bool>(type: "boolean", nullable: false),
                    MergedIntoId = table.Column<int>(type: "integer", nullable: true),
                    MasterAgreementRef = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    PaymentTerms = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    UsualValueMin = table.Column<decimal>(type: "numeric(18,4)", precision: 18, scale: 4, nullable: true),
                    UsualValueMax = table.Column<decimal>(type: "numeric(18,4)", precision: 18, scale: 4, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Customers", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Customers_Customers_MergedIntoId",
                        column: x => x.MergedIntoId,
                        principalTable: "Customers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_Customers_Customers_ParentId",
                        column: x => x.ParentId,
                        principalTable: "Customers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "CustomerContacts",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    CustomerId = table.Column<int>(type: "integer", nullable: false),
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Role = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    Email = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    Phone = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CustomerContacts", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CustomerContacts_Customers_CustomerId",
                        column: x => x.CustomerId,
                        principalTable: "Customers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CustomerIdentifiers",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    CustomerId = table.Column<int>(type: "integer", nullable: false),
                    Kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Value = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CustomerIdentifiers", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CustomerIdentifiers_Customers_CustomerId",
                        column: x => x.CustomerId,
                        principalTable: "Customers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CustomerMembers",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    CustomerId = table.Column<int>(type: "integer", nullable: false),
                    Kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Key = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CustomerMembers", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CustomerMembers_Customers_CustomerId",
                        column: x => x.CustomerId,
                        principalTable: "Customers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CustomerMerges",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    SurvivorId = table.Column<int>(type: "integer", nullable: false),
                    MergedId = table.Column<int>(type: "integer", nullable: false),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ById = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    ByName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    MovedJson = table.Column<string>(type: "text", nullable: false),
                    UndoneAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CustomerMerges", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CustomerMerges_Customers_MergedId",
                        column: x => x.MergedId,
                        principalTable: "Customers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_CustomerMerges_Customers_SurvivorId",
                        column: x => x.SurvivorId,
                        principalTable: "Customers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "CustomerNameTokens",
                columns: table => new
                {
                    CustomerId = table.Column<int>(type: "integer", nullable: false),
                    Token = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CustomerNameTokens", x => new { x.Token, x.CustomerId });
                    table.ForeignKey(
                        name: "FK_CustomerNameTokens_Customers_CustomerId",
                        column: x => x.CustomerId,
                        principalTable: "Customers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CustomerSites",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    CustomerId = table.Column<int>(type: "integer", nullable: false),
                    Kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Country = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    TimeZone = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CustomerSites", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CustomerSites_Customers_CustomerId",
                        column: x => x.CustomerId,
                        principalTable: "Customers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            // Moves the accounts and the free-text account names into customers before the old tables and columns go.
            CustomersUpgrade.Up(migrationBuilder);

            migrationBuilder.DropForeignKey(
                name: "FK_Commitments_Accounts_AccountId",
                table: "Commitments");

            migrationBuilder.DropTable(
                name: "AccountMembers");

            migrationBuilder.DropTable(
                name: "AccountSites");

            migrationBuilder.DropTable(
                name: "Accounts");

            migrationBuilder.DropIndex(
                name: "IX_ExecutiveSponsorships_Account",
                table: "ExecutiveSponsorships");

            migrationBuilder.DropIndex(
                name: "IX_Escalations_Account_CreatedAt",
                table: "Escalations");

            migrationBuilder.DropIndex(
                name: "IX_Alerts_Status_Account",
                table: "Alerts");

            migrationBuilder.DropColumn(
                name: "Account",
                table: "ExecutiveSponsorships");

            migrationBuilder.DropColumn(
                name: "Account",
                table: "AlertRoutes");

            migrationBuilder.RenameColumn(
                name: "AccountId",
                table: "ErpFeed",
                newName: "CustomerId");

            migrationBuilder.RenameColumn(
                name: "AccountId",
                table: "Commitments",
                newName: "CustomerId");

            migrationBuilder.RenameIndex(
                name: "IX_Commitments_CustomerPoNumber_AccountId",
                table: "Commitments",
                newName: "IX_Commitments_CustomerPoNumber_CustomerId");

            migrationBuilder.RenameIndex(
                name: "IX_Commitments_AccountId",
                table: "Commitments",
                newName: "IX_Commitments_CustomerId");

            migrationBuilder.CreateIndex(
                name: "IX_KpiStates_CustomerId",
                table: "KpiStates",
                column: "CustomerId");

            migrationBuilder.CreateIndex(
                name: "IX_KpiReadings_CustomerId",
                table: "KpiReadings",
                column: "CustomerId");

            migrationBuilder.CreateIndex(
                name: "IX_ExecutiveSponsorships_CustomerId",
                table: "ExecutiveSponsorships",
                column: "CustomerId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Escalations_CustomerId_CreatedAt",
                table: "Escalations",
                columns: new[] { "CustomerId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_CustomerId",
                table: "Alerts",
                column: "CustomerId");

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_Status_CustomerId",
                table: "Alerts",
                columns: new[] { "Status", "CustomerId" });

            migrationBuilder.CreateIndex(
                name: "IX_AlertRoutes_CustomerId",
                table: "AlertRoutes",
                column: "CustomerId");

            migrationBuilder.CreateIndex(
                name: "IX_CustomerContacts_CustomerId",
                table: "CustomerContacts",
                column: "CustomerId");

            migrationBuilder.CreateIndex(
                name: "IX_CustomerContacts_Email",
                table: "CustomerContacts",
                column: "Email");

            migrationBuilder.CreateIndex(
                name: "IX_CustomerIdentifiers_CustomerId",
                table: "CustomerIdentifiers",
                column: "CustomerId");

            migrationBuilder.CreateIndex(
                name: "IX_CustomerIdentifiers_Kind_Value",
                table: "CustomerIdentifiers",
                columns: new[] { "Kind", "Value" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CustomerIdentifiers_Value_CustomerId",
                table: "CustomerIdentifiers",
                columns: new[] { "Value", "CustomerId" });

            migrationBuilder.CreateIndex(
                name: "IX_CustomerMembers_CustomerId_Kind_Key",
                table: "CustomerMembers",
                columns: new[] { "CustomerId", "Kind", "Key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CustomerMerges_MergedId_UndoneAt",
                table: "CustomerMerges",
                columns: new[] { "MergedId", "UndoneAt" });

            migrationBuilder.CreateIndex(
                name: "IX_CustomerMerges_SurvivorId",
                table: "CustomerMerges",
                column: "SurvivorId");

            migrationBuilder.CreateIndex(
                name: "IX_CustomerNameTokens_CustomerId",
                table: "CustomerNameTokens",
                column: "CustomerId");

            migrationBuilder.CreateIndex(
                name: "IX_Customers_MergedIntoId",
                table: "Customers",
                column: "MergedIntoId");

            migrationBuilder.CreateIndex(
                name: "IX_Customers_Number",
                table: "Customers",
                column: "Number",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Customers_ParentId",
                table: "Customers",
                column: "ParentId");

            migrationBuilder.CreateIndex(
                name: "IX_Customers_SearchName",
                table: "Customers",
                column: "SearchName");

            migrationBuilder.CreateIndex(
                name: "IX_CustomerSites_CustomerId_Kind_Name",
                table: "CustomerSites",
                columns: new[] { "CustomerId", "Kind", "Name" },
                unique: true);

            migrationBuilder.AddForeignKey(
                name: "FK_AlertRoutes_Customers_CustomerId",
                table: "AlertRoutes",
                column: "CustomerId",
                principalTable: "Customers",
                principalColumn: "Id",
                onDelete: ReferentialAction.Restrict);

            migrationBuilder.AddForeignKey(
                name: "FK_Alerts_Customers_CustomerId",
                table: "Alerts",
                column: "CustomerId",
                principalTable: "Customers",
                principalColumn: "Id",
                onDelete: ReferentialAction.Restrict);

            migrationBuilder.AddForeignKey(
                name: "FK_Commitments_Customers_CustomerId",
                table: "Commitments",
                column: "CustomerId",
                principalTable: "Customers",
                principalColumn: "Id",
                onDelete: ReferentialAction.Restrict);

            migrationBuilder.AddForeignKey(
                name: "FK_Escalations_Customers_CustomerId",
                table: "Escalations",
                column: "CustomerId",
                principalTable: "Customers",
                principalColumn: "Id",
                onDelete: ReferentialAction.Restrict);

            migrationBuilder.AddForeignKey(
                name: "FK_ExecutiveSponsorships_Customers_CustomerId",
                table: "ExecutiveSponsorships",
                column: "CustomerId",
                principalTable: "Customers",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "FK_KpiReadings_Customers_CustomerId",
                table: "KpiReadings",
                column: "CustomerId",
                principalTable: "Customers",
                principalColumn: "Id",
                onDelete: ReferentialAction.Restrict);

            migrationBuilder.AddForeignKey(
                name: "FK_KpiStates_Customers_CustomerId",
                table: "KpiStates",
                column: "CustomerId",
                principalTable: "Customers",
                principalColumn: "Id",
                onDelete: ReferentialAction.Restrict);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Account",
                table: "ExecutiveSponsorships",
                type: "character varying(200)",
                maxLength: 200,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "Account",
                table: "AlertRoutes",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "Accounts",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    MasterAgreementRef = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Number = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    PaymentTerms = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Restricted = table.Column<bool>(type: "boolean", nullable: false),
                    Segment = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    UsualValueMax = table.Column<decimal>(type: "numeric(18,4)", precision: 18, scale: 4, nullable: true),
                    UsualValueMin = table.Column<decimal>(type: "numeric(18,4)", precision: 18, scale: 4, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Accounts", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "AccountMembers",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    AccountId = table.Column<int>(type: "integer", nullable: false),
                    UserId = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AccountMembers", x => x.Id);
                    table.ForeignKey(
                        name: "FK_AccountMembers_Accounts_AccountId",
                        column: x => x.AccountId,
                        principalTable: "Accounts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "AccountSites",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    AccountId = table.Column<int>(type: "integer", nullable: false),
                    Kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AccountSites", x => x.Id);
                    table.ForeignKey(
                        name: "FK_AccountSites_Accounts_AccountId",
                        column: x => x.AccountId,
                        principalTable: "Accounts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            // Gives the previous release its accounts and account names back before the customer tables go.
            CustomersUpgrade.Down(migrationBuilder);

            migrationBuilder.DropForeignKey(
                name: "FK_AlertRoutes_Customers_CustomerId",
                table: "AlertRoutes");

            migrationBuilder.DropForeignKey(
                name: "FK_Alerts_Customers_CustomerId",
                table: "Alerts");

            migrationBuilder.DropForeignKey(
                name: "FK_Commitments_Customers_CustomerId",
                table: "Commitments");

            migrationBuilder.DropForeignKey(
                name: "FK_Escalations_Customers_CustomerId",
                table: "Escalations");

            migrationBuilder.DropForeignKey(
                name: "FK_ExecutiveSponsorships_Customers_CustomerId",
                table: "ExecutiveSponsorships");

            migrationBuilder.DropForeignKey(
                name: "FK_KpiReadings_Customers_CustomerId",
                table: "KpiReadings");

            migrationBuilder.DropForeignKey(
                name: "FK_KpiStates_Customers_CustomerId",
                table: "KpiStates");

            migrationBuilder.DropTable(
                name: "CustomerContacts");

            migrationBuilder.DropTable(
                name: "CustomerIdentifiers");

            migrationBuilder.DropTable(
                name: "CustomerMembers");

            migrationBuilder.DropTable(
                name: "CustomerMerges");

            migrationBuilder.DropTable(
                name: "CustomerNameTokens");

            migrationBuilder.DropTable(
                name: "CustomerSites");

            migrationBuilder.DropTable(
                name: "Customers");

            migrationBuilder.DropIndex(
                name: "IX_KpiStates_CustomerId",
                table: "KpiStates");

            migrationBuilder.DropIndex(
                name: "IX_KpiReadings_CustomerId",
                table: "KpiReadings");

            migrationBuilder.DropIndex(
                name: "IX_ExecutiveSponsorships_CustomerId",
                table: "ExecutiveSponsorships");

            migrationBuilder.DropIndex(
                name: "IX_Escalations_CustomerId_CreatedAt",
                table: "Escalations");

            migrationBuilder.DropIndex(
                name: "IX_Alerts_CustomerId",
                table: "Alerts");

            migrationBuilder.DropIndex(
                name: "IX_Alerts_Status_CustomerId",
                table: "Alerts");

            migrationBuilder.DropIndex(
                name: "IX_AlertRoutes_CustomerId",
                table: "AlertRoutes");

            migrationBuilder.DropColumn(
                name: "CustomerId",
                table: "KpiStates");

            migrationBuilder.DropColumn(
                name: "CustomerId",
                table: "KpiReadings");

            migrationBuilder.DropColumn(
                name: "CustomerId",
                table: "ExecutiveSponsorships");

            migrationBuilder.DropColumn(
                name: "CustomerId",
                table: "Escalations");

            migrationBuilder.DropColumn(
                name: "CustomerId",
                table: "Alerts");

            migrationBuilder.DropColumn(
                name: "CustomerId",
                table: "AlertRoutes");

            migrationBuilder.RenameColumn(
                name: "CustomerId",
                table: "ErpFeed",
                newName: "AccountId");

            migrationBuilder.RenameColumn(
                name: "CustomerId",
                table: "Commitments",
                newName: "AccountId");

            migrationBuilder.RenameIndex(
                name: "IX_Commitments_CustomerPoNumber_CustomerId",
                table: "Commitments",
                newName: "IX_Commitments_CustomerPoNumber_AccountId");

            migrationBuilder.RenameIndex(
                name: "IX_Commitments_CustomerId",
                table: "Commitments",
                newName: "IX_Commitments_AccountId");

            migrationBuilder.CreateIndex(
                name: "IX_ExecutiveSponsorships_Account",
                table: "ExecutiveSponsorships",
                column: "Account",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Escalations_Account_CreatedAt",
                table: "Escalations",
                columns: new[] { "Account", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_Status_Account",
                table: "Alerts",
                columns: new[] { "Status", "Account" });

            migrationBuilder.CreateIndex(
                name: "IX_AccountMembers_AccountId_UserId",
                table: "AccountMembers",
                columns: new[] { "AccountId", "UserId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Accounts_Number",
                table: "Accounts",
                column: "Number",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_AccountSites_AccountId_Kind_Name",
                table: "AccountSites",
                columns: new[] { "AccountId", "Kind", "Name" },
                unique: true);

            migrationBuilder.AddForeignKey(
                name: "FK_Commitments_Accounts_AccountId",
                table: "Commitments",
                column: "AccountId",
                principalTable: "Accounts",
                principalColumn: "Id",
                onDelete: ReferentialAction.Restrict);
        }
    }
}
