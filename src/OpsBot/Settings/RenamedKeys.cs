using System.Globalization;

namespace OpsBot.Settings;

/// <summary>
/// Configuration keys renamed in this release. An old key still works for one more release: at start its values are copied
/// to the new key (a list is appended to the new list, a number of seconds or hours becomes a TimeSpan) unless the new key
/// is set itself, and one warning per old key names the old and the new key.
/// </summary>
public static partial class RenamedKeys
{
    private sealed record Rename(string Old, string New, string Note = "", Func<string, string>? Convert = null);

    private static readonly Rename[] All =
    [
        new("Alerts:Admins", "People:Admins", "People:Admins may edit alert routes, the executive directory and accounts"),
        new("Directory:Admins", "People:Admins", "People:Admins may edit alert routes, the executive directory and accounts"),
        new("Commitments:Admins", "People:Admins", "People:Admins may edit alert routes, the executive directory and accounts"),
        new("Escalations:Leadership", "People:Leadership"),
        new("Commitments:Roles", "People:Roles"),
        new("Directory:Executives", "People:Executives"),
        new("Directory:Source", "People:Directory:Source"),
        new("Directory:Graph", "People:Directory:Graph"),
        new("Directory:CacheSeconds", "People:Directory:CacheDuration", "a TimeSpan, e.g. 00:00:30", Seconds),
        new("Alerts:TimerSeconds", "Alerts:TimerInterval", "a TimeSpan, e.g. 00:01:00", Seconds),
        new("Commitments:Accounts", "Customers:Seed", "read once, on a store with no customers yet"),
        new("Commitments:TrustedApiClients", "Customers:TrustedApiClients"),
        new("Alerts:RemindEveryHours", "Alerts:RemindAfter", "a TimeSpan, e.g. 1.00:00:00", Hours),
    ];

    /// <summary>Alerts' own executive list is gone: executives come from the directory. Read only while the directory has none configured.</summary>
    private const string AlertExecutives = "Alerts:Executives";

    private const string RetiredAlertAccounts = "Alerts:Accounts";

    /// <summary>Copies the values of old keys present in <paramref name="configuration"/> to their new keys; returns the old keys found.</summary>
    public static IReadOnlyList<string> Apply(IConfigurationManager configuration)
    {
        var config = (IConfiguration)configuration;
        var added = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var found = new List<string>();
        foreach (var rename in All)
        {
            var old = config.GetSection(rename.Old);
            if (!old.Exists()) continue;
            found.Add(Warning(rename.Old, rename.New, rename.Note));
            if (IsList(old))
            {
                var next = NextIndex(config, added, rename.New);
                foreach (var item in old.GetChildren().OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture)))
                    Copy(config, item, $"{rename.New}:{(next++).ToString(CultureInfo.InvariantCulture)}", added, rename.Convert);
            }
            else
            {
                Copy(config, old, rename.New, added, rename.Convert);
            }
        }

        var alertExecutives = config.GetSection(AlertExecutives);
        if (alertExecutives.Exists())
        {
            var directoryEmpty = !config.GetSection("People:Executives").Exists() && !added.Keys.Any(k => k.StartsWith("People:Executives:", StringComparison.OrdinalIgnoreCase));
            found.Add(Warning(AlertExecutives, "People:Executives", directoryEmpty
                ? "its people are read as executives of the directory (Id = UserId) for this release"
                : "ignored: People:Executives already lists the executives"));
            if (directoryEmpty)
            {
                var i = 0;
                foreach (var e in alertExecutives.GetChildren())
                {
                    var key = $"People:Executives:{(i++).ToString(CultureInfo.InvariantCulture)}:";
                    added[key + "Id"] = e["UserId"];
                    added[key + "UserId"] = e["UserId"];
                    added[key + "Name"] = e["Name"];
                }
            }
        }

        if (config.GetSection(RetiredAlertAccounts).Exists())
            found.Add($"Configuration section {RetiredAlertAccounts} is retired and ignored: a customer's segment, restriction, allowed people and channels " +
                      "live on the customer (Customers:Seed on an empty store, `account restrict|channel` in Teams, or the customer import).");

        if (added.Count > 0) configuration.AddInMemoryCollection(added);
        return found;
    }

    private static string Warning(string old, string @new, string note) =>
        $"Configuration key {old} is deprecated and is read for this release only: use {@new}" + (note.Length > 0 ? $" ({note})." : ".");

    private static bool IsList(IConfigurationSection section) =>
        string.IsNullOrEmpty(section.Value) && section.GetChildren().ToList() is { Count: > 0 } children && children.All(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _));

    private static int NextIndex(IConfiguration config, Dictionary<string, string?> added, string key)
    {
        var indexes = config.GetSection(key).GetChildren().Select(c => c.Key)
            .Concat(added.Keys.Where(k => k.StartsWith(key + ":", StringComparison.OrdinalIgnoreCase)).Select(k => k[(key.Length + 1)..].Split(':')[0]))
            .Select(k => int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1);
        return indexes.DefaultIfEmpty(-1).Max() + 1;
    }

    /// <summary>
    /// Every value under <paramref name="from"/> to the same place under <paramref name="to"/>, where nothing is configured there
    /// yet. A section with children may read as an empty value (the test host's chained configuration does), so empty counts as none.
    /// </summary>
    private static void Copy(IConfiguration config, IConfigurationSection from, string to, Dictionary<string, string?> added, Func<string, string>? convert)
    {
        var values = from.AsEnumerable(makePathsRelative: true).Select(kv => (Target: to + ":" + kv.Key, kv.Value)).Append((Target: to, from.Value));
        foreach (var (target, value) in values)
            if (!string.IsNullOrEmpty(value) && string.IsNullOrEmpty(config[target]) && !added.ContainsKey(target)) added[target] = convert is null ? value : convert(value);
    }

    private static string Seconds(string value) => Scaled(value, TimeSpan.FromSeconds);

    private static string Hours(string value) => Scaled(value, TimeSpan.FromHours);

    // A value that is not a number is passed on unchanged, so the new key's check reports it.
    private static string Scaled(string value, Func<double, TimeSpan> unit) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? unit(n).ToString("c", CultureInfo.InvariantCulture) : value;

    /// <summary>Logs the warnings for the old keys found by <see cref="Apply"/> once the app starts.</summary>
    public sealed partial class Warnings(IReadOnlyList<string> found, ILogger<Warnings> log) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            foreach (var message in found) LogRenamed(message);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(Level = LogLevel.Warning, Message = "{Message}")]
        private partial void LogRenamed(string message);
    }
}
