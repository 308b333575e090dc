using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using OpsBot.Customers;
using OpsBot.Data;
using OpsBot.Escalations;
using OpsBot.Messaging;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Data;

/// <summary>
/// Every named migration after <c>Initial</c> upgrades a store that already holds data: the database is built at Initial,
/// filled through plain SQL (the way the previous release wrote it), upgraded, and read back through today's model.
/// </summary>
public abstract class MigrationUpgradeTests(DatabaseProvider provider) : IAsyncLifetime
{
    private string? _connection;

    protected abstract Task<string?> ConnectionStringAsync();

    public async Task InitializeAsync() => _connection = await ConnectionStringAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task The_delivery_engine_migration_keeps_queued_and_sent_outbox_rows()
    {
        var dataDir = Directory.CreateTempSubdirectory("opsbot-migrate-").FullName;
        var connection = _connection ?? $"Data Source={Path.Combine(dataDir, "opsbot.db")}";
        await WithDbAsync(async db =>
        {
            var migrator = db.GetService<IMigrator>();
            var initial = db.Database.GetMigrations().Single(m => m.EndsWith("_Initial", StringComparison.Ordinal));
            await migrator.MigrateAsync(initial);
            Assert.Contains(db.Database.GetPendingMigrations(), m => m.EndsWith("_DeliveryEngine", StringComparison.Ordinal));
            var q = provider == DatabaseProvider.Postgres ? "\"" : "";
            var (no, yes) = provider == DatabaseProvider.Postgres ? ("false", "true") : ("0", "1");
            var insertRows = $$"""
                INSERT INTO {{q}}OutboxMessages{{q}} ({{q}}Kind{{q}}, {{q}}DedupeKey{{q}}, {{q}}CorrelationType{{q}}, {{q}}CorrelationId{{q}}, {{q}}ServiceUrl{{q}}, {{q}}TenantId{{q}},
                    {{q}}ConversationId{{q}}, {{q}}ActivityJson{{q}}, {{q}}Status{{q}}, {{q}}Attempts{{q}}, {{q}}CreatedAt{{q}}, {{q}}NextAttemptAt{{q}}, {{q}}RepeatedAfterAmbiguousFailure{{q}}, {{q}}Version{{q}}, {{q}}LeaseUntil{{q}})
                VALUES ('Send', 'old:queued', 'alert', '7', 'https://smba.trafficmanager.net/teams/', 't1', 'a:one', {0}, 'Queued', 0, '2026-11-30 10:00:00', '2026-11-30 10:00:00', {{no}}, 0, NULL),
                       ('Send', 'old:sent', 'alert', '7', 'https://smba.trafficmanager.net/teams/', 't1', 'a:two', {1}, 'Sent', 1, '2026-11-30 10:00:00', '2026-11-30 10:00:00', {{yes}}, 2, '2026-11-30 10:01:00')
                """;
            await db.Database.ExecuteSqlRawAsync(insertRows, "{\"type\":\"message\",\"text\":\"queued\"}", "{\"type\":\"message\",\"text\":\"sent\"}");
            var insertThrottle = $"INSERT INTO {q}OutboxThrottles{q} ({q}Key{q}, {q}NextAt{q}) VALUES ('t:t1', '2026-11-30 10:00:00')";
            await db.Database.ExecuteSqlRawAsync(insertThrottle);

            await migrator.MigrateAsync();
            return 0;
        });

        Task<T> WithDbAsync<T>(Func<OpsBotDbContext, Task<T>> work) => Open(connection, work);

        var rows = await WithDbAsync(db => db.OutboxMessages.AsNoTracking().OrderBy(m => m.Id).ToListAsync());
        Assert.Equal(["old:queued", "old:sent"], rows.Select(r => r.DedupeKey));
        Assert.Equal([OutboxStatus.Queued, OutboxStatus.Sent], rows.Select(r => r.Status));
        Assert.True(rows[1].RepeatedAfterAmbiguousFailure);
        Assert.All(rows, r =>
        {
            Assert.Null(r.LiveCard);
            Assert.Equal(0, r.Throttles);
            Assert.Equal(0, r.DesiredVersion);
            Assert.Null(r.FailureNotifiedAt); // the dropped lease time is not carried into an unrelated column
        });
        var throttle = await WithDbAsync(db => db.OutboxThrottles.AsNoTracking().SingleAsync());
        Assert.Null(throttle.Owner);
        // The widened correlation id holds an opportunity-scoped key of 64 + characters.
        var longCorrelation = new string('o', 64) + ":SalesOrderDraft";
        await WithDbAsync(async db =>
        {
            db.EnqueueSend(new DeliveryTarget.Conversation("https://smba.trafficmanager.net/teams/", "t1", "a:three"),
                "{}", "new:long", DateTime.UtcNow, "commitment-form", longCorrelation);
            return await db.SaveChangesAsync();
        });
        Assert.True(await WithDbAsync(db => db.OutboxMessages.AnyAsync(m => m.CorrelationId == longCorrelation)));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dataDir, true);
    }

    [Fact]
    public async Task The_escalation_names_migration_keeps_every_complaint_with_its_timeline_timers_and_live_card_rows()
    {
        var dataDir = Directory.CreateTempSubdirectory("opsbot-migrate-").FullName;
        var connection = _connection ?? $"Data Source={Path.Combine(dataDir, "opsbot.db")}";
        Task<T> WithDbAsync<T>(Func<OpsBotDbContext, Task<T>> work) => Open(connection, work);
        var q = provider == DatabaseProvider.Postgres ? "\"" : "";
        var (no, yes) = provider == DatabaseProvider.Postgres ? ("false", "true") : ("0", "1");
        string At(string utc) => provider == DatabaseProvider.Postgres ? $"'{utc}+00'" : $"'{utc}'";
        string Columns(params string[] names) => string.Join(", ", names.Select(n => q + n + q));

        await WithDbAsync(async db =>
        {
            await db.GetService<IMigrator>().MigrateAsync(Migration(db, "_DeliveryEngine"));
            await ExecAsync(db, $"""
                INSERT INTO {q}Complaints{q} ({Columns("IdempotencyKey", "Account", "Contact", "Summary", "Impact", "DesiredOutcome", "Severity", "OrderRef",
                    "OpportunityRef", "AlertId", "Origin", "SourceMessageLink", "SourceMessageAuthor", "RepUserId", "RepAadObjectId", "RepName", "ServiceUrl",
                    "TenantId", "RepConversationId", "RepCardActivityId", "AssigneeId", "AssignmentReason", "BackupExecutiveId", "PreviousAssigneeId", "Status",
                    "CreatedAt", "AssignedAt", "AcknowledgedAt", "FirstContactAt", "ResolvedAt", "AcknowledgeDueAt", "ContactDueAt", "ResolveDueAt",
                    "Resolution", "CustomerSatisfied", "AcknowledgedInSla", "LastAction", "LastActionAt", "Version")})
                VALUES ('form-1', 'ACME Corp', 'Jane Doe, +1 555 0100', 'Pallets stuck at the port for a week', 'Line stops Friday', 'Delivery by Thursday',
                    'High', 'SO-9', NULL, 'AL-3', 'MessageAction', 'https://teams.microsoft.com/l/message/1', 'Jane Doe', '29:rep', NULL, 'Rita Rep',
                    'https://smba.trafficmanager.net/teams/', 't1', 'a:rep-chat', 'form-activity', 'ann', 'sponsor of ACME Corp', NULL, NULL, 'Acknowledged',
                    {At("2026-11-30 10:00:00")}, {At("2026-11-30 10:00:00")}, {At("2026-11-30 10:30:00")}, NULL, NULL, {At("2026-11-30 14:00:00")},
                    {At("2026-12-01 10:00:00")}, {At("2026-12-07 10:00:00")}, NULL, NULL, {yes}, 'Ann Lee acknowledged', {At("2026-11-30 10:30:00")}, 2)
                """);
            await ExecAsync(db, $"""
                INSERT INTO {q}ComplaintEvents{q} ({Columns("ComplaintId", "At", "Kind", "ActorUserId", "ActorName", "Text", "Channel")})
                VALUES (1, {At("2026-11-30 10:00:00")}, 'Created', '29:rep', 'Rita Rep', 'escalated (from a Teams message)', NULL),
                       (1, {At("2026-11-30 10:30:00")}, 'Acknowledged', '29:ann', 'Ann Lee', 'acknowledged', NULL)
                """);
            await ExecAsync(db, $"""
                INSERT INTO {q}EscalationTimers{q} ({Columns("ComplaintId", "Kind", "DueAt", "FiredAt", "Version")})
                VALUES (1, 'AcknowledgeDeadline', {At("2026-11-30 14:00:00")}, {At("2026-11-30 10:30:00")}, 1),
                       (1, 'ContactDeadline', {At("2026-12-01 10:00:00")}, NULL, 0)
                """);
            await ExecAsync(db, $"""
                INSERT INTO {q}OutboxMessages{q} ({Columns("Kind", "DedupeKey", "CorrelationType", "CorrelationId", "ServiceUrl", "TenantId", "ConversationId",
                    "ActivityJson", "Status", "Attempts", "CreatedAt", "NextAttemptAt", "RepeatedAfterAmbiguousFailure", "Version", "LiveCard", "DesiredVersion",
                    "SentVersion", "ResultActivityId", "Throttles")})
                VALUES ('CreatePersonal', 'esc:1:exec:1:1', 'escalation', '1', 'https://smba.trafficmanager.net/teams/', 't1', NULL, 'live', 'Sent', 1,
                        {At("2026-11-30 10:00:00")}, {At("2026-11-30 10:00:00")}, {no}, 1, 'complaint:1', 2, 1, 'exec-activity', 0),
                       ('Update', 'live:complaint:1:form-activity', NULL, NULL, 'https://smba.trafficmanager.net/teams/', 't1', 'a:rep-chat', 'live', 'Queued', 0,
                        {At("2026-11-30 10:30:00")}, {At("2026-11-30 10:30:00")}, {no}, 0, 'complaint:1', 2, NULL, 'form-activity', 0),
                       ('Send', 'alert:7:ch', 'alert', '7', 'https://smba.trafficmanager.net/teams/', 't1', 'a:channel', 'live', 'Sent', 1,
                        {At("2026-11-30 10:00:00")}, {At("2026-11-30 10:00:00")}, {no}, 1, 'alert:7', 1, 1, 'alert-activity', 0)
                """);
            await db.GetService<IMigrator>().MigrateAsync();
            return 0;
        });

        var e = await WithDbAsync(db => db.Escalations.AsNoTracking().SingleAsync());
        Assert.Equal((1L, "form-1", "ACME Corp", Severity.High, EscalationOrigin.MessageAction, EscalationStatus.Acknowledged, "ann", 2),
            (e.Id, e.IdempotencyKey, e.Account, e.Severity, e.Origin, e.Status, e.AssigneeId, e.Version));
        Assert.Equal(("Jane Doe", "a:rep-chat", "form-activity", true, "Ann Lee acknowledged"),
            (e.SourceMessageAuthor, e.RepConversationId, e.RepCardActivityId, e.AcknowledgedInSla, e.LastAction));
        Assert.Equal((new DateTime(2026, 11, 30, 10, 30, 0), new DateTime(2026, 12, 7, 10, 0, 0)), (e.AcknowledgedAt!.Value, e.ResolveDueAt));
        var events = await WithDbAsync(db => db.EscalationEvents.AsNoTracking().OrderBy(x => x.Id).ToListAsync());
        Assert.Equal([(1L, EscalationEventKind.Created, "Rita Rep"), (1L, EscalationEventKind.Acknowledged, "Ann Lee")],
            events.Select(x => (x.EscalationId, x.Kind, x.ActorName)));
        var timers = await WithDbAsync(db => db.EscalationTimers.AsNoTracking().OrderBy(x => x.DueAt).ToListAsync());
        Assert.Equal([(1L, SlaTimerKind.AcknowledgeDeadline, true), (1L, SlaTimerKind.ContactDeadline, false)],
            timers.Select(x => (x.EscalationId, x.Kind, x.FiredAt is not null)));
        var outbox = await WithDbAsync(db => db.OutboxMessages.AsNoTracking().OrderBy(x => x.Id).ToListAsync());
        Assert.Equal(["escalation:1", "escalation:1", "alert:7"], outbox.Select(x => x.LiveCard));
        Assert.Equal([2L, 2L, 1L], outbox.Select(x => x.DesiredVersion));

        // The renamed tables keep their keys and indexes under the new names: ids go on from the kept rows, the idempotency key stays unique.
        Assert.Equal(await ExpectedIndexesAsync(typeof(Escalation)), await IndexesAsync("Escalations"));
        Assert.Equal(await ExpectedIndexesAsync(typeof(EscalationEvent)), await IndexesAsync("EscalationEvents"));
        Assert.Equal(await ExpectedIndexesAsync(typeof(EscalationTimer)), await IndexesAsync("EscalationTimers"));
        var added = await WithDbAsync(async db =>
        {
            var copy = new Escalation
            {
                IdempotencyKey = "form-2", Account = "Globex", Summary = "Wrong parts delivered twice", RepUserId = "29:rep", RepName = "Rita Rep",
                ServiceUrl = "https://smba.trafficmanager.net/teams/", TenantId = "t1", Severity = Severity.Critical,
            };
            db.Escalations.Add(copy);
            db.EscalationEvents.Add(new EscalationEvent { EscalationId = 1, Kind = EscalationEventKind.ContactLogged, ActorUserId = "29:ann", ActorName = "Ann Lee", Text = "called" });
            await db.SaveChangesAsync();
            return copy;
        });
        Assert.Equal(2, added.Id);
        await Assert.ThrowsAsync<DbUpdateException>(() => WithDbAsync(db =>
        {
            db.Escalations.Add(new Escalation
            {
                IdempotencyKey = "form-1", Account = "ACME Corp", Summary = "The same form again", RepUserId = "29:rep", RepName = "Rita Rep",
                ServiceUrl = "https://smba.trafficmanager.net/teams/", TenantId = "t1",
            });
            return db.SaveChangesAsync();
        }));

        // Down gives the previous release its names and keys back, rows included.
        await WithDbAsync(async db =>
        {
            await db.GetService<IMigrator>().MigrateAsync(Migration(db, "_DeliveryEngine"));
            return 0;
        });
        Assert.Equal(["complaint:1", "complaint:1", "alert:7"],
            await WithDbAsync(db => QueryAsync<string>(db, $"SELECT {q}LiveCard{q} AS {q}Value{q} FROM {q}OutboxMessages{q} ORDER BY {q}Id{q}")));
        Assert.Equal([1L, 2L],
            await WithDbAsync(db => QueryAsync<long>(db, $"SELECT {q}Id{q} AS {q}Value{q} FROM {q}Complaints{q} ORDER BY {q}Id{q}")));
        Assert.Equal(3, (await WithDbAsync(db => QueryAsync<long>(db, $"SELECT {q}ComplaintId{q} AS {q}Value{q} FROM {q}ComplaintEvents{q}"))).Count(id => id == 1));
        await WithDbAsync(async db =>
        {
            await db.GetService<IMigrator>().MigrateAsync();
            return 0;
        });
        Assert.Equal(2, await WithDbAsync(db => db.Escalations.CountAsync()));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dataDir, true);

        Task<List<string>> ExpectedIndexesAsync(Type entity) => WithDbAsync(db =>
        {
            var type = db.Model.FindEntityType(entity)!;
            var names = type.GetIndexes().Select(i => i.GetDatabaseName()!).ToList();
            if (provider == DatabaseProvider.Postgres) names.Add(type.FindPrimaryKey()!.GetName()!);
            return Task.FromResult(names.Order(StringComparer.Ordinal).ToList());
        });

        Task<List<string>> IndexesAsync(string table) => WithDbAsync(async db =>
        {
            var names = provider == DatabaseProvider.Postgres
                ? await db.Database.SqlQuery<string>($"SELECT indexname AS \"Value\" FROM pg_indexes WHERE tablename = {table}").ToListAsync()
                : await db.Database.SqlQuery<string>($"SELECT name AS Value FROM sqlite_master WHERE type = 'index' AND tbl_name = {table} AND name NOT LIKE 'sqlite_%'").ToListAsync();
            return names.Order(StringComparer.Ordinal).ToList();
        });
    }

    [Fact]
    public async Task The_customers_migration_moves_accounts_and_every_free_text_account_name_into_customers_without_losing_a_row()
    {
        var dataDir = Directory.CreateTempSubdirectory("opsbot-migrate-").FullName;
        var connection = _connection ?? $"Data Source={Path.Combine(dataDir, "opsbot.db")}";
        Task<T> WithDbAsync<T>(Func<OpsBotDbContext, Task<T>> work) => Open(connection, work);
        var q = provider == DatabaseProvider.Postgres ? "\"" : "";
        var (no, yes) = provider == DatabaseProvider.Postgres ? ("false", "true") : ("0", "1");
        string At(string utc) => provider == DatabaseProvider.Postgres ? $"'{utc}+00'" : $"'{utc}'";
        string Columns(params string[] names) => string.Join(", ", names.Select(n => q + n + q));
        const string Url = "'https://smba.trafficmanager.net/teams/'";
        var noPeople = provider == DatabaseProvider.Postgres ? "'{{}}'" : "'[]'";

        await WithDbAsync(async db =>
        {
            await db.GetService<IMigrator>().MigrateAsync(Migration(db, "_EscalationNames"));
            await ExecAsync(db, $"""
                INSERT INTO {q}Accounts{q} ({Columns("Number", "Name", "Segment", "Restricted", "MasterAgreementRef", "PaymentTerms", "UsualValueMin", "UsualValueMax", "CreatedAt")})
                VALUES ('ACME-001', 'ACME Corp', 'Strategic', {yes}, 'MSA-2024-001', 'Net 60', 100000, 500000, {At("2026-11-01 09:00:00")}),
                       ('GLX-7', 'Globex', 'Key', {no}, NULL, NULL, NULL, NULL, {At("2026-11-02 09:00:00")})
                """);
            await ExecAsync(db, $"INSERT INTO {q}AccountMembers{q} ({Columns("AccountId", "UserId")}) VALUES (1, '29:amy'), (1, 'aad-bob')");
            await ExecAsync(db, $"INSERT INTO {q}AccountSites{q} ({Columns("AccountId", "Kind", "Name")}) VALUES (1, 'ShipTo', 'Rotterdam DC'), (1, 'BillTo', 'ACME HQ')");
            await ExecAsync(db, $"""
                INSERT INTO {q}Commitments{q} ({Columns("OpportunityId", "AccountId", "AccountOwnerId", "AccountOwnerName", "BillToSite", "CommitDate", "CommittedValue",
                    "CreatedAt", "CreatedById", "CreatedByName", "Currency", "CustomerName", "CustomerPoNumber", "MasterAgreementRef", "PaymentTerms",
                    "RequestedDeliveryDate", "Segment", "ServiceUrl", "ShipToSite", "TenantId", "UpdatedAt", "UpdatedById", "UpdatedByName", "Version")})
                VALUES ('OPP-1', 1, '29:amy', 'Amy', 'ACME HQ', '2026-11-01', 250000, {At("2026-11-01 09:00:00")}, '29:amy', 'Amy', 'USD', 'ACME Corp', '4471',
                    'MSA-2024-001', 'Net 60', '2027-01-15', 'Strategic', {Url}, 'Rotterdam DC', 't1', {At("2026-11-01 09:00:00")}, '29:amy', 'Amy', 1)
                """);
            await ExecAsync(db, $"INSERT INTO {q}ErpFeed{q} ({Columns("Sequence", "CommitmentId", "OpportunityId", "AccountId", "Version", "PayloadJson", "CreatedAt")}) VALUES (1, 1, 'OPP-1', 1, 1, '[1]', {At("2026-11-01 09:00:00")})");
            await ExecAsync(db, $"""
                INSERT INTO {q}Executives{q} ({Columns("Id", "DisplayName", "UserId", "MonthlyCapacity", "Source", "Active", "UpdatedAt", "Version")})
                VALUES ('ann', 'Ann Lee', '29:ann', 4, 'Config', {yes}, {At("2026-11-01 09:00:00")}, 0)
                """);
            await ExecAsync(db, $"INSERT INTO {q}ExecutiveSponsorships{q} ({Columns("ExecutiveId", "Account")}) VALUES ('ann', 'acme corp')");
            await ExecAsync(db, $"""
                INSERT INTO {q}Alerts{q} ({Columns("Account", "Kind", "Impact", "Severity", "Description", "Status", "Source", "RaisedById", "RaisedByName",
                    "CreatedAt", "Restricted", "GroupKey", "ServiceUrl", "Version")})
                VALUES ('acme corp', 'late-shipment', 'Line 3 waits', 2, '', 'Open', 'Chat', '29:amy', 'Amy', {At("2026-11-30 10:00:00")}, {yes}, 'acme corp|', {Url}, 0),
                       ('Initech', 'order-error', 'Wrong parts', 3, '', 'Resolved', 'Api', 'api:erp', 'erp', {At("2026-11-30 11:00:00")}, {no}, 'initech|', {Url}, 1)
                """);
            await ExecAsync(db, $"""
                INSERT INTO {q}Escalations{q} ({Columns("IdempotencyKey", "Account", "Contact", "Summary", "Impact", "DesiredOutcome", "Severity", "Origin",
                    "RepUserId", "RepName", "ServiceUrl", "TenantId", "AssignmentReason", "Status", "CreatedAt", "AssignedAt", "AcknowledgeDueAt", "ContactDueAt",
                    "ResolveDueAt", "AcknowledgedInSla", "LastAction", "LastActionAt", "Version")})
                VALUES ('form-1', 'ACME-001', '', 'Pallets stuck', '', '', 'High', 'Command', '29:amy', 'Amy', {Url}, 't1', 'sponsor', 'Assigned',
                        {At("2026-11-30 10:00:00")}, {At("2026-11-30 10:00:00")}, {At("2026-11-30 14:00:00")}, {At("2026-12-01 10:00:00")},
                        {At("2026-12-07 10:00:00")}, {no}, 'Escalated', {At("2026-11-30 10:00:00")}, 0),
                       ('form-2', '  Initech ', '', 'Late again', '', '', 'Medium', 'Command', '29:rep', 'Rita', {Url}, 't1', 'rotation', 'Assigned',
                        {At("2026-11-30 12:00:00")}, {At("2026-11-30 12:00:00")}, {At("2026-11-30 16:00:00")}, {At("2026-12-01 12:00:00")},
                        {At("2026-12-07 12:00:00")}, {no}, 'Escalated', {At("2026-11-30 12:00:00")}, 0)
                """);
            await ExecAsync(db, $"INSERT INTO {q}AlertRoutes{q} ({Columns("Name", "Account", "MaxSeverity", "People")}) VALUES ('globex-desk', 'GLX-7', 4, {noPeople}), ('all', NULL, 2, {noPeople})");
            await db.GetService<IMigrator>().MigrateAsync();
            return await CustomerIndex.IndexPendingAsync(db, default);
        });

        var customers = await WithDbAsync(db => db.Customers.AsNoTracking().Include(c => c.Members).Include(c => c.Sites).OrderBy(c => c.Id).ToListAsync());
        Assert.Equal([(1, "ACME-001", "ACME Corp", CustomerSegment.Strategic, true, false), (2, "GLX-7", "Globex", CustomerSegment.Key, false, false),
                (3, "INITECH", "Initech", CustomerSegment.Standard, false, true)],
            customers.Select(c => (c.Id, c.Number, c.Name, c.Segment, c.Restricted, c.NeedsReview)));
        var acme = customers[0];
        Assert.Equal(("MSA-2024-001", "Net 60", 100000m, 500000m), (acme.MasterAgreementRef, acme.PaymentTerms, acme.UsualValueMin!.Value, acme.UsualValueMax!.Value));
        Assert.Equal(["29:amy", "aad-bob"], acme.Members.Where(m => m.Kind == MemberKind.Person).Select(m => m.Key).Order());
        Assert.Equal([(SiteKind.ShipTo, "Rotterdam DC"), (SiteKind.BillTo, "ACME HQ")], acme.Sites.Select(s => (s.Kind, s.Name)).Order());
        Assert.All(customers, c => Assert.NotEqual("", c.SearchName));
        Assert.Equal([1, 3], await WithDbAsync(db => db.Alerts.AsNoTracking().OrderBy(a => a.Id).Select(a => a.CustomerId!.Value).ToListAsync()));
        Assert.Equal([(1, "ACME-001"), (3, "  Initech ")], await WithDbAsync(async db =>
            (await db.Escalations.AsNoTracking().OrderBy(e => e.Id).Select(e => new { e.CustomerId, e.Account }).ToListAsync()).Select(e => (e.CustomerId!.Value, e.Account)).ToList()));
        Assert.Equal(1, (await WithDbAsync(db => db.ExecutiveSponsorships.AsNoTracking().SingleAsync())).CustomerId);
        Assert.Equal([2, null], await WithDbAsync(db => db.AlertRoutes.AsNoTracking().OrderBy(r => r.Id).Select(r => r.CustomerId).ToListAsync()));
        Assert.Equal("Strategic", (await WithDbAsync(db => db.Alerts.AsNoTracking().FirstAsync())).Segment);
        var commitment = await WithDbAsync(db => db.Commitments.AsNoTracking().Include(c => c.Customer).SingleAsync());
        Assert.Equal(("OPP-1", "ACME-001", 250000m), (commitment.OpportunityId, commitment.Customer.Number, commitment.CommittedValue));
        Assert.Equal(1, (await WithDbAsync(db => db.ErpFeed.AsNoTracking().SingleAsync())).CustomerId);

        // New customers go on after the kept ids; the number stays unique.
        var added = await WithDbAsync(async db =>
        {
            var c = new Customer { Number = "NEW-1", Name = "Newco" };
            db.Customers.Add(c);
            await db.SaveChangesAsync();
            return c.Id;
        });
        Assert.Equal(4, added);

        // Down gives the previous release its accounts and names back.
        await WithDbAsync(async db =>
        {
            await db.GetService<IMigrator>().MigrateAsync(Migration(db, "_EscalationNames"));
            return 0;
        });
        Assert.Equal(["ACME-001", "GLX-7", "INITECH", "NEW-1"],
            await WithDbAsync(db => QueryAsync<string>(db, $"SELECT {q}Number{q} AS {q}Value{q} FROM {q}Accounts{q} ORDER BY {q}Id{q}")));
        Assert.Equal(["ACME Corp"], await WithDbAsync(db => QueryAsync<string>(db, $"SELECT {q}Account{q} AS {q}Value{q} FROM {q}ExecutiveSponsorships{q}")));
        Assert.Equal(2, (await WithDbAsync(db => QueryAsync<string>(db, $"SELECT {q}UserId{q} AS {q}Value{q} FROM {q}AccountMembers{q}"))).Count);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dataDir, true);
    }

    private static Task<int> ExecAsync(OpsBotDbContext db, string sql) => db.Database.ExecuteSqlRawAsync(sql);

    private static Task<List<T>> QueryAsync<T>(OpsBotDbContext db, string sql) => db.Database.SqlQueryRaw<T>(sql).ToListAsync();

    private static string Migration(OpsBotDbContext db, string suffix) =>
        db.Database.GetMigrations().Single(m => m.EndsWith(suffix, StringComparison.Ordinal));

    private async Task<T> Open<T>(string connection, Func<OpsBotDbContext, Task<T>> work)
    {
        await using OpsBotDbContext db = provider == DatabaseProvider.Postgres
            ? new PostgresOpsBotDbContext(new DbContextOptionsBuilder<PostgresOpsBotDbContext>().UseNpgsql(connection).Options)
            : new SqliteOpsBotDbContext(new DbContextOptionsBuilder<SqliteOpsBotDbContext>().UseSqlite(connection).Options);
        return await work(db);
    }
}

public sealed class SqliteMigrationUpgradeTests() : MigrationUpgradeTests(DatabaseProvider.Sqlite)
{
    protected override Task<string?> ConnectionStringAsync() => Task.FromResult<string?>(null);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresMigrationUpgradeTests(PostgresServer server) : MigrationUpgradeTests(DatabaseProvider.Postgres)
{
    protected override async Task<string?> ConnectionStringAsync() => await server.CreateDatabaseAsync();
}
