using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using OpsBot.Audit;
using OpsBot.Data;

namespace OpsBot.Customers;

[JsonConverter(typeof(JsonStringEnumConverter<ImportOutcome>))]
public enum ImportOutcome { New, Updated, Unchanged, ProbableDuplicate, Invalid }

/// <summary>What happened to one line of an import file (<see cref="Line"/> 1 is the header).</summary>
public sealed record ImportLine(int Line, string? Number, ImportOutcome Outcome, string Detail);

/// <summary>
/// The counts of an import. <see cref="Applied"/> is false on a dry run, and when a line was invalid without <c>partial</c>:
/// then nothing was written.
/// </summary>
public sealed record ImportSummary(bool DryRun, bool Partial, bool Applied, int New, int Updated, int Unchanged, int ProbableDuplicates, int Invalid)
{
    /// <summary>Set when another change took a number or identifier of the file while it was being written: lines before this one are saved.</summary>
    public int? StoppedAtLine { get; init; }

    public int Lines => New + Updated + Unchanged + ProbableDuplicates + Invalid;

    public override string ToString() =>
        $"{Lines} line(s): {New} new, {Updated} updated, {Unchanged} unchanged, {ProbableDuplicates} probable duplicate(s), {Invalid} invalid. "
        + (StoppedAtLine is { } stopped ? $"Stopped at line {stopped}: another change took a number or identifier of this file meanwhile. The lines before it are saved; import the file again to finish."
            : Applied ? "Saved." : DryRun ? "Dry run: nothing was changed." : "Nothing was changed because of the invalid lines: fix them, or import with partial to save the valid ones.");
}

/// <summary>
/// Creates and updates customers by number from a CSV file (<see cref="CustomerCsv"/>), streaming: batches of
/// <see cref="BatchSize"/> lines are written inside one transaction, which is rolled back on a dry run or when a line was
/// invalid (unless partial). Scalar cells replace a value only when filled; identifiers, members and domains are added,
/// never removed, so importing the same file again changes nothing. A new number whose identifier or normalised name
/// belongs to another customer is not created but reported as a probable duplicate of it.
/// </summary>
public sealed class CustomerImport(OpsBotDbContext db, CustomerAccess access, TimeProvider time)
{
    public const int BatchSize = 500;
    public const string HeadOffice = "Head office";

    /// <summary>
    /// Imports <paramref name="openFile"/>, reporting every line to <paramref name="report"/>. The file is read twice: first every
    /// line is checked against the store and the lines before it, writing nothing; then, unless that was a dry run or found an
    /// invalid line (without <paramref name="partial"/>), the same lines are written in one short transaction per batch, so other
    /// writers (every inbound message on SQLite) never wait behind a whole import.
    /// </summary>
    public async Task<ImportSummary> RunAsync(Func<Stream> openFile, bool dryRun, bool partial, Viewer by, Func<ImportLine, ValueTask> report, CancellationToken ct)
    {
        var hidden = await access.HiddenFromAsync(by, ct);
        var counts = new Counts();
        await using (var stream = openFile())
        {
            var claims = new FileClaims();
            await foreach (var batch in BatchesAsync(stream, ct))
                foreach (var line in await ProcessAsync(batch, by, hidden, claims, write: false, ct))
                {
                    counts.Add(line.Outcome);
                    await report(line);
                }
        }
        var summary = new ImportSummary(dryRun, partial, false, counts.New, counts.Updated, counts.Unchanged, counts.Duplicates, counts.Invalid);
        if (dryRun || (counts.Invalid > 0 && !partial)) return summary;
        if (counts.New + counts.Updated == 0) return summary with { Applied = true };

        var strategy = db.Database.CreateExecutionStrategy();
        var written = new FileClaims();
        var batches = 0;
        await using (var stream = openFile())
            await foreach (var batch in BatchesAsync(stream, ct))
            {
                try
                {
                    await strategy.ExecuteAsync(async () =>
                    {
                        db.ChangeTracker.Clear();
                        await using var transaction = await db.Database.BeginTransactionAsync(ct);
                        await ProcessAsync(batch, by, hidden, written, write: true, ct);
                        await transaction.CommitAsync(ct);
                    });
                }
                catch (Exception ex) when (StoreErrors.IsUniqueViolation(ex))
                {
                    // Someone else took a number or identifier of this batch since the check: what came before is saved, and a
                    // second import of the same file finishes the rest (it changes nothing that is already there).
                    db.ChangeTracker.Clear();
                    return summary with { Applied = true, StoppedAtLine = batch[0].Line };
                }
                finally { db.ChangeTracker.Clear(); }
                // PostgreSQL plans each prepared statement once (a generic plan): refresh the statistics while the tables grow
                // from empty, or the lookups of later batches keep the sequential scans planned for an empty table.
                if (db.Database.IsNpgsql() && (++batches & (batches - 1)) == 0)
                    await db.Database.ExecuteSqlRawAsync("ANALYZE \"Customers\", \"CustomerIdentifiers\", \"CustomerNameTokens\"", ct);
            }
        return summary with { Applied = true };
    }

    private static async IAsyncEnumerable<List<CsvRow>> BatchesAsync(Stream stream, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var batch = new List<CsvRow>(BatchSize);
        await foreach (var row in CustomerCsv.ReadAsync(stream, ct))
        {
            batch.Add(row);
            if (batch.Count < BatchSize) continue;
            yield return batch;
            batch = new List<CsvRow>(BatchSize);
        }
        if (batch.Count > 0) yield return batch;
    }

    /// <summary>
    /// What the lines read so far take, by the line that took it: new numbers, identifiers and new names, as 64-bit hashes (a
    /// few dozen bytes a line, so 100,000 lines stay small).
    /// </summary>
    private sealed class FileClaims
    {
        private readonly Dictionary<ulong, int> _numbers = [];
        private readonly Dictionary<ulong, int> _identifiers = [];
        private readonly Dictionary<ulong, int> _names = [];

        public bool HasNumber(string number) => _numbers.ContainsKey(Hash("", number));
        public int? IdentifierLine(TypedIdentifier i, int line) => _identifiers.TryGetValue(Hash(CustomerIdentifiers.Prefix(i.Kind), i.Value), out var l) && l != line ? l : null;
        public int? NameLine(string name, int line) => _names.TryGetValue(Hash("", name), out var l) && l != line ? l : null;

        public void Claim(CustomerImportRow v, int line, bool isNew, string name)
        {
            if (isNew)
            {
                _numbers.TryAdd(Hash("", v.Number), line);
                if (name.Length > 0) _names.TryAdd(Hash("", name), line);
            }
            foreach (var i in v.Identifiers()) _identifiers.TryAdd(Hash(CustomerIdentifiers.Prefix(i.Kind), i.Value), line);
        }

        /// <summary>FNV-1a over the kind and the value.</summary>
        private static ulong Hash(string kind, string value)
        {
            var h = 14695981039346656037UL;
            foreach (var ch in kind) h = (h ^ ch) * 1099511628211UL;
            h = (h ^ ':') * 1099511628211UL;
            foreach (var ch in value) h = (h ^ ch) * 1099511628211UL;
            return h;
        }
    }

    private sealed class Counts
    {
        public int New, Updated, Unchanged, Duplicates, Invalid;

        public void Add(ImportOutcome outcome)
        {
            switch (outcome)
            {
                case ImportOutcome.New: New++; break;
                case ImportOutcome.Updated: Updated++; break;
                case ImportOutcome.Unchanged: Unchanged++; break;
                case ImportOutcome.ProbableDuplicate: Duplicates++; break;
                default: Invalid++; break;
            }
        }
    }

    /// <summary>Classifies a batch's lines; with <paramref name="write"/>, also adds and changes the customers (saved, not committed).</summary>
    private async Task<List<ImportLine>> ProcessAsync(List<CsvRow> rows, Viewer by, IReadOnlySet<int> hidden, FileClaims claims, bool write, CancellationToken ct)
    {
        var lines = new List<ImportLine>(rows.Count);
        var bulk = write && CustomerBulkInsert.Supported(db);
        List<Customer> fresh = [];
        List<AuditEntry> freshAudits = [];
        async Task FlushAsync()
        {
            await db.SaveChangesAsync(ct);
            await CustomerBulkInsert.InsertAsync(db, fresh, freshAudits, ct);
            fresh.Clear();
            freshAudits.Clear();
        }
        var now = time.GetUtcNow().UtcDateTime;
        var valid = rows.Where(r => r.Values is not null).Select(r => r.Values!).ToList();
        var numbers = valid.Select(v => v.Number).Concat(valid.Select(v => v.Parent).OfType<string>()).Distinct().ToList();
        // Checking only: nothing is saved, so nothing needs tracking.
        var customers = write ? db.Customers : db.Customers.AsNoTracking();
        var existing = await customers
            .Include(c => c.Identifiers).Include(c => c.Members).Include(c => c.Sites).Include(c => c.NameTokens).AsSplitQuery()
            .Where(c => EF.Parameter(numbers).Contains(c.Number)).ToDictionaryAsync(c => c.Number, ct);
        var values = valid.SelectMany(v => v.Identifiers()).Select(i => i.Value).Distinct().ToList();
        var owners = (await db.CustomerIdentifiers.AsNoTracking().Where(i => EF.Parameter(values).Contains(i.Value))
                .Join(db.Customers, i => i.CustomerId, c => c.Id, (i, c) => new { i.Kind, i.Value, i.CustomerId, c.Number, c.Name }).ToListAsync(ct))
            .ToDictionary(i => new TypedIdentifier(i.Kind, i.Value), i => (i.CustomerId, i.Number, i.Name));
        var names = valid.Where(v => !existing.ContainsKey(v.Number)).Select(v => Truncated(CustomerNames.Normalize(v.Name))).Where(n => n.Length > 0).Distinct().ToList();
        var sameNames = (await db.Customers.AsNoTracking().Where(c => EF.Parameter(names).Contains(c.SearchName) && c.MergedIntoId == null)
                .Select(c => new { c.Id, c.SearchName, c.Number, c.Name }).ToListAsync(ct))
            .Where(c => !hidden.Contains(c.Id)).GroupBy(c => c.SearchName).ToDictionary(g => g.Key, g => (g.First().Number, g.First().Name));

        foreach (var row in rows)
        {
            if (row.Values is not { } v)
            {
                lines.Add(new ImportLine(row.Line, null, ImportOutcome.Invalid, string.Join(" ", row.Errors.Select(e => e.Column.Length == 0 ? e.Why : $"{e.Column}: {e.Why}"))));
                continue;
            }
            existing.TryGetValue(v.Number, out var customer);
            if (customer is not null && hidden.Contains(customer.Id))
            {
                lines.Add(new ImportLine(row.Line, v.Number, ImportOutcome.Invalid, $"number: customer number {v.Number} is already taken by a customer you may not change."));
                continue;
            }
            var conflict = v.Identifiers().Select(i => (Id: i, Owner: owners.TryGetValue(i, out var o) ? o : default((int, string, string)?)))
                .FirstOrDefault(x => x.Owner is { } o && o.Item1 != customer?.Id);
            if (conflict.Owner is { } hiddenOwner && hidden.Contains(hiddenOwner.Item1))
            {
                lines.Add(new ImportLine(row.Line, v.Number, ImportOutcome.Invalid, $"{CustomerIdentifiers.Prefix(conflict.Id.Kind).ToLowerInvariant()}: {conflict.Id.Value} is already used by another customer."));
                continue;
            }
            if (customer is null && conflict.Owner is { } same)
            {
                lines.Add(new ImportLine(row.Line, v.Number, ImportOutcome.ProbableDuplicate, $"probable duplicate of {same.Item2} ({same.Item3}), score 1.00: same {CustomerIdentifiers.Prefix(conflict.Id.Kind)} {conflict.Id.Value}. Use number {same.Item2} to update it."));
                continue;
            }
            if (conflict.Owner is { } taken)
            {
                lines.Add(new ImportLine(row.Line, v.Number, ImportOutcome.Invalid, $"{CustomerIdentifiers.Prefix(conflict.Id.Kind).ToLowerInvariant()}: {conflict.Id.Value} already belongs to customer {taken.Item2}."));
                continue;
            }
            if (v.Identifiers().Select(i => (Id: i, Line: claims.IdentifierLine(i, row.Line))).FirstOrDefault(x => x.Line is not null) is { Line: { } claimedOn } fileConflict)
            {
                var what = $"{CustomerIdentifiers.Prefix(fileConflict.Id.Kind)} {fileConflict.Id.Value}";
                lines.Add(customer is null
                    ? new ImportLine(row.Line, v.Number, ImportOutcome.ProbableDuplicate, $"probable duplicate of line {claimedOn} of this file, score 1.00: same {what}.")
                    : new ImportLine(row.Line, v.Number, ImportOutcome.Invalid, $"{CustomerIdentifiers.Prefix(fileConflict.Id.Kind).ToLowerInvariant()}: {fileConflict.Id.Value} is already given to line {claimedOn} of this file."));
                continue;
            }
            var searchName = Truncated(CustomerNames.Normalize(v.Name));
            if (customer is null && claims.NameLine(searchName, row.Line) is { } sameNameOn)
            {
                lines.Add(new ImportLine(row.Line, v.Number, ImportOutcome.ProbableDuplicate, $"probable duplicate of line {sameNameOn} of this file, score 0.90: same name."));
                continue;
            }
            if (customer is null && sameNames.TryGetValue(searchName, out var named))
            {
                lines.Add(new ImportLine(row.Line, v.Number, ImportOutcome.ProbableDuplicate, $"probable duplicate of {named.Number} ({named.Name}), score 0.90: same name. Use number {named.Number} to update it."));
                continue;
            }
            Customer? parent = null;
            if (v.Parent is { } parentNumber && !existing.TryGetValue(parentNumber, out parent) && !write && claims.HasNumber(parentNumber))
                parent = new Customer { Number = parentNumber, Name = "" }; // new on an earlier line: checked, not written yet
            if (v.Parent is not null && (parent is null || hidden.Contains(parent.Id)))
            {
                lines.Add(new ImportLine(row.Line, v.Number, ImportOutcome.Invalid, $"parent: customer {v.Parent} is not known; put the parent's line before its subsidiaries."));
                continue;
            }
            if (write && parent is { Id: 0 }) await FlushAsync(); // a parent added earlier in this batch needs its id
            if (customer is null)
            {
                customer = new Customer { Number = v.Number, Name = v.Name, CreatedAt = now };
                Apply(customer, v, parent);
                existing[v.Number] = customer;
                if (bulk)
                {
                    fresh.Add(customer);
                    freshAudits.Add(new AuditEntry { At = now, UserId = by.Id, UserName = by.Name, Action = "customer-imported", EntityType = "Customer", EntityId = v.Number, AfterJson = Snapshot(customer), Note = $"import line {row.Line}" });
                }
                else if (write)
                {
                    db.Customers.Add(customer);
                    db.Audit(now, by.Id, by.Name, "customer-imported", "Customer", v.Number, after: Snapshot(customer), note: $"import line {row.Line}");
                }
                lines.Add(new ImportLine(row.Line, v.Number, ImportOutcome.New, v.Name));
                claims.Claim(v, row.Line, isNew: true, searchName);
            }
            else
            {
                var before = Snapshot(customer);
                Apply(customer, v, parent);
                var after = Snapshot(customer);
                claims.Claim(v, row.Line, isNew: false, searchName);
                if (before == after)
                {
                    lines.Add(new ImportLine(row.Line, v.Number, ImportOutcome.Unchanged, customer.Name));
                    continue;
                }
                if (write) db.Audit(now, by.Id, by.Name, "customer-imported", "Customer", v.Number, before, after, note: $"import line {row.Line}");
                lines.Add(new ImportLine(row.Line, v.Number, ImportOutcome.Updated, customer.Name));
            }
            foreach (var i in v.Identifiers()) owners[i] = (customer.Id, customer.Number, customer.Name);
            if (customer.Id == 0) sameNames[searchName] = (customer.Number, customer.Name);
        }
        // Written: later batches see these rows through the store. Checked only: the changes made in memory are dropped.
        if (write) await FlushAsync();
        db.ChangeTracker.Clear();
        return lines;
    }

    private static string Truncated(string name) => name.Length <= 200 ? name : name[..200];

    /// <summary>Sets what the line gives: filled scalar cells replace, identifiers / members / the head office are added.</summary>
    private static void Apply(Customer c, CustomerImportRow v, Customer? parent)
    {
        c.Name = v.Name;
        if (v.LegalName is not null) c.LegalName = v.LegalName;
        if (v.Segment is not null) c.Segment = Enum.Parse<CustomerSegment>(v.Segment);
        if (v.Industry is not null) c.Industry = v.Industry;
        if (v.Owner is not null)
        {
            c.OwnerName = v.Owner;
            c.OwnerId = v.Owner.StartsWith("29:", StringComparison.Ordinal) || Guid.TryParse(v.Owner, out _) ? v.Owner : c.OwnerId;
        }
        if (parent is not null) c.ParentId = parent.Id;
        foreach (var i in v.Identifiers())
            if (!c.Identifiers.Any(x => x.Kind == i.Kind && x.Value == i.Value)) c.Identifiers.Add(new CustomerIdentifier { Kind = i.Kind, Value = i.Value });
        foreach (var m in v.Members)
        {
            var kind = m.StartsWith("19:", StringComparison.Ordinal) ? MemberKind.Channel : MemberKind.Person;
            if (!c.Members.Any(x => x.Kind == kind && string.Equals(x.Key, m, StringComparison.OrdinalIgnoreCase))) c.Members.Add(new CustomerMember { Kind = kind, Key = m });
        }
        if (v.Restricted is { } restricted) c.Restricted = restricted;
        else if (v.Members.Count > 0) c.Restricted = true;
        if (v.Country is not null || v.Timezone is not null)
        {
            var office = c.Sites.FirstOrDefault(s => s.Kind == SiteKind.BillTo && s.Name == HeadOffice);
            if (office is null) c.Sites.Add(office = new CustomerSite { Kind = SiteKind.BillTo, Name = HeadOffice });
            if (v.Country is not null) office.Country = v.Country;
            if (v.Timezone is not null) office.TimeZone = v.Timezone;
        }
    }

    /// <summary>What the audit records and what decides "unchanged": the fields an import can set.</summary>
    private static string Snapshot(Customer c) => System.Text.Json.JsonSerializer.Serialize(new
    {
        c.Number, c.Name, c.LegalName, Segment = c.Segment.ToString(), c.Industry, c.OwnerId, c.OwnerName, c.ParentId, c.Restricted,
        Identifiers = c.Identifiers.Select(i => $"{CustomerIdentifiers.Prefix(i.Kind)}:{i.Value}").Order(StringComparer.Ordinal).ToList(),
        Members = c.Members.Select(m => $"{m.Kind}:{m.Key}").Order(StringComparer.Ordinal).ToList(),
        Sites = c.Sites.Select(s => $"{s.Kind}:{s.Name}:{s.Country}:{s.TimeZone}").Order(StringComparer.Ordinal).ToList(),
    });
}
