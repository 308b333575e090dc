using Microsoft.EntityFrameworkCore.Migrations;

namespace OpsBot.Data.Migrations;

/// <summary>
/// The data half of the <c>Customers</c> migration, the same for every provider: accounts become customers (ids kept, so
/// commitments keep pointing at them), their members become person members, their sites customer sites; every free-text
/// account name on alerts, complaints, sponsorships and routes is linked to the customer whose number or name it is, and a
/// name that matches none becomes a new customer flagged <c>NeedsReview</c>. Names are indexed at the next start.
/// </summary>
public static class CustomersUpgrade
{
    public static void Up(MigrationBuilder mb)
    {
        SqliteForeignKeysOff(mb);
        var sqlServer = mb.ActiveProvider == "Microsoft.EntityFrameworkCore.SqlServer";
        var postgres = mb.ActiveProvider == "Npgsql.EntityFrameworkCore.PostgreSQL";
        var (no, yes) = postgres ? ("FALSE", "TRUE") : ("0", "1");
        var substr = sqlServer ? "SUBSTRING" : "SUBSTR";

        var copyAccounts = $"""
            INSERT INTO "Customers" ("Id", "Number", "Name", "SearchName", "Segment", "Restricted", "NeedsReview", "MasterAgreementRef", "PaymentTerms", "UsualValueMin", "UsualValueMax", "CreatedAt")
            SELECT "Id", "Number", "Name", '', "Segment", "Restricted", {no}, "MasterAgreementRef", "PaymentTerms", "UsualValueMin", "UsualValueMax", "CreatedAt" FROM "Accounts";
            """;
        mb.Sql(sqlServer ? $"SET IDENTITY_INSERT \"Customers\" ON;\n{copyAccounts}\nSET IDENTITY_INSERT \"Customers\" OFF;" : copyAccounts);
        if (postgres)
            mb.Sql("""SELECT setval(pg_get_serial_sequence('"Customers"', 'Id'), COALESCE((SELECT MAX("Id") FROM "Customers"), 0) + 1, false);""");
        mb.Sql("""INSERT INTO "CustomerMembers" ("CustomerId", "Kind", "Key") SELECT "AccountId", 'Person', "UserId" FROM "AccountMembers";""");
        mb.Sql("""INSERT INTO "CustomerSites" ("CustomerId", "Kind", "Name") SELECT "AccountId", "Kind", "Name" FROM "AccountSites";""");

        // Names nobody registered as an account: one customer per (upper-cased, 32-character) number, flagged for review.
        mb.Sql($"""
            INSERT INTO "Customers" ("Number", "Name", "SearchName", "Segment", "Restricted", "NeedsReview", "CreatedAt")
            SELECT UPPER({substr}(n.name, 1, 32)), MIN(n.name), '', 'Standard', {no}, {yes}, CURRENT_TIMESTAMP
            FROM (SELECT TRIM("Account") AS name FROM "Alerts"
                  UNION SELECT TRIM("Account") FROM "Escalations"
                  UNION SELECT TRIM("Account") FROM "ExecutiveSponsorships"
                  UNION SELECT TRIM("Account") FROM "AlertRoutes" WHERE "Account" IS NOT NULL) n
            WHERE n.name <> ''
              AND NOT EXISTS (SELECT 1 FROM "Customers" c WHERE c."Number" = UPPER(n.name) OR LOWER(c."Name") = LOWER(n.name) OR c."Number" = UPPER({substr}(n.name, 1, 32)))
            GROUP BY UPPER({substr}(n.name, 1, 32));
            """);

        foreach (var table in new[] { "Alerts", "Escalations", "ExecutiveSponsorships", "AlertRoutes" })
            mb.Sql($"""
                UPDATE "{table}" SET "CustomerId" = (
                    SELECT MIN(c."Id") FROM "Customers" c
                    WHERE c."Number" = UPPER(TRIM("{table}"."Account")) OR c."Number" = UPPER({substr}(TRIM("{table}"."Account"), 1, 32))
                       OR LOWER(c."Name") = LOWER(TRIM("{table}"."Account")))
                WHERE "Account" IS NOT NULL AND TRIM("Account") <> '';
                """);

        // Two sponsorships of names that turn out to be one customer: the first one stays (a customer has one sponsor).
        mb.Sql("""DELETE FROM "ExecutiveSponsorships" WHERE "Id" NOT IN (SELECT MIN("Id") FROM "ExecutiveSponsorships" GROUP BY "CustomerId");""");
        mb.Sql($"""UPDATE "Alerts" SET "Segment" = (SELECT c."Segment" FROM "Customers" c WHERE c."Id" = "Alerts"."CustomerId") WHERE "Segment" IS NULL AND "CustomerId" IS NOT NULL;""");
    }

    public static void Down(MigrationBuilder mb)
    {
        SqliteForeignKeysOff(mb);
        var sqlServer = mb.ActiveProvider == "Microsoft.EntityFrameworkCore.SqlServer";
        var postgres = mb.ActiveProvider == "Npgsql.EntityFrameworkCore.PostgreSQL";
        var copyCustomers = """
            INSERT INTO "Accounts" ("Id", "Number", "Name", "Segment", "Restricted", "MasterAgreementRef", "PaymentTerms", "UsualValueMin", "UsualValueMax", "CreatedAt")
            SELECT "Id", "Number", "Name", "Segment", "Restricted", "MasterAgreementRef", "PaymentTerms", "UsualValueMin", "UsualValueMax", "CreatedAt" FROM "Customers";
            """;
        mb.Sql(sqlServer ? $"SET IDENTITY_INSERT \"Accounts\" ON;\n{copyCustomers}\nSET IDENTITY_INSERT \"Accounts\" OFF;" : copyCustomers);
        if (postgres)
            mb.Sql("""SELECT setval(pg_get_serial_sequence('"Accounts"', 'Id'), COALESCE((SELECT MAX("Id") FROM "Accounts"), 0) + 1, false);""");
        mb.Sql("""INSERT INTO "AccountMembers" ("AccountId", "UserId") SELECT "CustomerId", "Key" FROM "CustomerMembers" WHERE "Kind" = 'Person';""");
        mb.Sql("""INSERT INTO "AccountSites" ("AccountId", "Kind", "Name") SELECT "CustomerId", "Kind", "Name" FROM "CustomerSites" WHERE "Kind" IN ('ShipTo', 'BillTo');""");
        foreach (var table in new[] { "ExecutiveSponsorships", "AlertRoutes" })
            mb.Sql($"""UPDATE "{table}" SET "Account" = (SELECT c."Name" FROM "Customers" c WHERE c."Id" = "{table}"."CustomerId") WHERE "CustomerId" IS NOT NULL;""");
    }

    /// <summary>
    /// SQLite rebuilds the tables whose foreign keys change at the end of the migration, so old tables are dropped while rows
    /// still point at them: foreign keys are off until that rebuild turns them back on (a pragma that only works outside a transaction).
    /// </summary>
    private static void SqliteForeignKeysOff(MigrationBuilder mb)
    {
        if (mb.ActiveProvider == "Microsoft.EntityFrameworkCore.Sqlite") mb.Sql("PRAGMA foreign_keys = 0;", suppressTransaction: true);
    }
}
