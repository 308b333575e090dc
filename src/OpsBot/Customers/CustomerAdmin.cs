using Microsoft.EntityFrameworkCore;
using OpsBot.Audit;
using OpsBot.Conversations;
using OpsBot.Data;
using OpsBot.People;

namespace OpsBot.Customers;

/// <summary><c>account add | restrict | channel | site | id | contact | parent</c> — for OpsBot admins only.</summary>
public sealed class CustomerAdmin(OpsBotDbContext db, AdminCheck admins, TimeProvider time)
{
    public const string Usage = "account add <number> <Strategic|Key|Standard> <name> · account restrict <number> <user id> · account channel <number> <channel id> · account site <number> <ship-to|bill-to|service> <site> · account id <number> <ERP|CRM|Domain|Phone|Tenant|Tax>:<value> · account contact <number> <e-mail> <name> · account parent <number> <parent number>";

    public async Task RunAsync(BotTurn turn, string args, CancellationToken ct)
    {
        var viewer = Viewer.Of(turn);
        var now = time.GetUtcNow().UtcDateTime;
        if (!await admins.IsAdminAsync(viewer.Id, viewer.AadId, ct))
        {
            db.Audit(now, viewer.Id, viewer.Name, "access-denied", "Account", "admin", note: "account " + args);
            await db.SaveChangesAsync(ct);
            await turn.SendTextAsync(await admins.OnlyAdminsAsync("change accounts", ct), ct);
            return;
        }
        var p = args.Split(' ', 4, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var verb = p.Length > 0 ? p[0].ToLowerInvariant() : "";
        var reply = verb switch
        {
            "add" when p.Length == 4 && Enum.TryParse<CustomerSegment>(p[2], true, out var segment) && Enum.IsDefined(segment) => await AddAsync(p[1].ToUpperInvariant(), segment, p[3], viewer, now, ct),
            "restrict" when p.Length >= 3 => await MemberAsync(p[1].ToUpperInvariant(), MemberKind.Person, string.Join(' ', p.Skip(2)), viewer, now, ct),
            "channel" when p.Length == 3 => await MemberAsync(p[1].ToUpperInvariant(), MemberKind.Channel, p[2], viewer, now, ct),
            "site" when p.Length == 4 && SiteKindOf(p[2]) is { } kind => await SiteAsync(p[1].ToUpperInvariant(), kind, p[3], viewer, now, ct),
            "id" when p.Length == 3 => await IdentifierAsync(p[1].ToUpperInvariant(), p[2], viewer, now, ct),
            "contact" when p.Length == 4 => await ContactAsync(p[1].ToUpperInvariant(), p[2], p[3], viewer, now, ct),
            "parent" when p.Length == 3 => await ParentAsync(p[1].ToUpperInvariant(), p[2].ToUpperInvariant(), viewer, now, ct),
            _ => "Usage: " + Usage,
        };
        await turn.SendTextAsync(reply, ct);
    }

    private async Task<string> AddAsync(string number, CustomerSegment segment, string name, Viewer viewer, DateTime now, CancellationToken ct)
    {
        if (number.Length > 32 || name.Length > 200) return "The number is at most 32 characters and the name at most 200.";
        if (await db.Customers.AnyAsync(a => a.Number == number, ct)) return $"Account {number} already exists.";
        var account = new Customer { Number = number, Name = name, Segment = segment, CreatedAt = now };
        db.Customers.Add(account);
        db.Audit(now, viewer.Id, viewer.Name, "account-added", "Customer", number, after: new { number, name, segment = segment.ToString() });
        await db.SaveChangesAsync(ct);
        return $"Account {number} ({name}, {segment}) added.";
    }

    private async Task<string> MemberAsync(string number, MemberKind kind, string key, Viewer viewer, DateTime now, CancellationToken ct)
    {
        var account = await db.Customers.Include(a => a.Members).FirstOrDefaultAsync(a => a.Number == number, ct);
        if (account is null) return $"Account {number} not found.";
        if (key.Length > 256) return "A member id is at most 256 characters.";
        var before = Members(account);
        account.Restricted = true;
        if (!account.Members.Any(m => m.Kind == kind && string.Equals(m.Key, key, StringComparison.OrdinalIgnoreCase))) account.Members.Add(new CustomerMember { Kind = kind, Key = key });
        if (!account.Members.Any(m => m.Kind == MemberKind.Person && viewer.Is(m.Key))) account.Members.Add(new CustomerMember { Kind = MemberKind.Person, Key = viewer.Id });
        db.Audit(now, viewer.Id, viewer.Name, "account-restricted", "Customer", number, before, Members(account));
        await db.SaveChangesAsync(ct);
        var people = account.Members.Count(m => m.Kind == MemberKind.Person);
        var channels = account.Members.Count(m => m.Kind == MemberKind.Channel);
        return $"Account {number} is restricted; {people} people and {channels} channels can see it.";
    }

    private static object Members(Customer c) => new { c.Restricted, members = c.Members.Select(m => $"{m.Kind}:{m.Key}").ToList() };

    private static SiteKind? SiteKindOf(string s) => s.ToLowerInvariant() switch
    {
        "ship-to" => SiteKind.ShipTo,
        "bill-to" => SiteKind.BillTo,
        "service" => SiteKind.Service,
        _ => null,
    };

    private async Task<string> IdentifierAsync(string number, string typed, Viewer viewer, DateTime now, CancellationToken ct)
    {
        if (!CustomerIdentifiers.TryParseValue(typed, out var kind, out var value)) return "Give the identifier as KIND:value, e.g. ERP:100234 or Domain:acme.com.";
        var account = await db.Customers.Include(a => a.Identifiers).FirstOrDefaultAsync(a => a.Number == number, ct);
        if (account is null) return $"Account {number} not found.";
        var owner = await db.CustomerIdentifiers.Where(i => i.Kind == kind && i.Value == value).Select(i => (int?)i.CustomerId).FirstOrDefaultAsync(ct);
        if (owner == account.Id) return $"{kind}:{value} is already an identifier of {number}.";
        if (owner is not null) return $"{kind}:{value} already identifies another customer; merge them instead.";
        account.Identifiers.Add(new CustomerIdentifier { Kind = kind, Value = value });
        db.Audit(now, viewer.Id, viewer.Name, "customer-identifier-added", "Customer", number, after: new { kind = kind.ToString(), value });
        await db.SaveChangesAsync(ct);
        return $"{kind}:{value} now identifies {number}.";
    }

    private async Task<string> ContactAsync(string number, string email, string name, Viewer viewer, DateTime now, CancellationToken ct)
    {
        if (!email.Contains('@') || email.Length > 256 || name.Length > 200) return "Give the contact as: account contact <number> <e-mail> <name>.";
        var account = await db.Customers.Include(a => a.Contacts).FirstOrDefaultAsync(a => a.Number == number, ct);
        if (account is null) return $"Account {number} not found.";
        email = email.ToLowerInvariant();
        if (account.Contacts.Any(c => c.Email == email)) return $"{email} is already a contact of {number}.";
        account.Contacts.Add(new CustomerContact { Name = name, Email = email });
        db.Audit(now, viewer.Id, viewer.Name, "customer-contact-added", "Customer", number, after: new { name, email });
        await db.SaveChangesAsync(ct);
        return $"{name} <{email}> added as a contact of {number}.";
    }

    private async Task<string> ParentAsync(string number, string parentNumber, Viewer viewer, DateTime now, CancellationToken ct)
    {
        var account = await db.Customers.FirstOrDefaultAsync(a => a.Number == number, ct);
        var parent = await db.Customers.FirstOrDefaultAsync(a => a.Number == parentNumber, ct);
        if (account is null || parent is null) return $"Account {(account is null ? number : parentNumber)} not found.";
        for (var p = parent; p is not null; p = p.ParentId is { } id ? await db.Customers.FindAsync([id], ct) : null)
            if (p.Id == account.Id) return $"{parentNumber} is {number} itself or one of its subsidiaries.";
        var before = account.ParentId;
        account.ParentId = parent.Id;
        db.Audit(now, viewer.Id, viewer.Name, "customer-parent-set", "Customer", number, new { parent = before }, new { parent = parentNumber });
        await db.SaveChangesAsync(ct);
        return $"{number} is now a subsidiary of {parentNumber}.";
    }

    private async Task<string> SiteAsync(string number, SiteKind kind, string site, Viewer viewer, DateTime now, CancellationToken ct)
    {
        var account = await db.Customers.Include(a => a.Sites).FirstOrDefaultAsync(a => a.Number == number, ct);
        if (account is null) return $"Account {number} not found.";
        if (account.Sites.Any(s => s.Kind == kind && string.Equals(s.Name, site, StringComparison.OrdinalIgnoreCase))) return "That site is already known.";
        account.Sites.Add(new CustomerSite { Kind = kind, Name = site });
        db.Audit(now, viewer.Id, viewer.Name, "account-site-added", "Customer", number, after: new { kind = kind.ToString(), site });
        await db.SaveChangesAsync(ct);
        return $"{site} added as a {kind switch { SiteKind.ShipTo => "ship-to", SiteKind.BillTo => "bill-to", _ => "service" }} site of {number}.";
    }
}
