using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpsBot.Alerts;
using OpsBot.People;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Settings;

public sealed class OptionsTests
{
    [Theory]
    [InlineData("Messaging:HeartbeatInterval", "-1")]
    [InlineData("Messaging:PollInterval", "soon")]
    [InlineData("Messaging:BackoffCap", "00:00:00.5")]
    [InlineData("Escalations:Sla:AcknowledgeBusinessHours", "-4")]
    [InlineData("Escalations:BusinessHours:TimeZone", "Mars/Olympus_Mons")]
    [InlineData("Escalations:BusinessHours:End", "08:00")]
    [InlineData("Api:Keys:erp", "")]
    [InlineData("Api:Keys:erp", "the-key-itself")]
    [InlineData("Api:Entra:TenantId", "11111111-2222-3333-4444-555555555555")]
    [InlineData("Alerts:TimerInterval", "00:00:00")]
    [InlineData("Alerts:Kpis:on-time:CriticalSeverity", "9")]
    [InlineData("Alerts:Routes:0:MaxSeverity", "0")]
    [InlineData("Commitments:ErpWebhook:RetryBase", "-00:00:02")]
    [InlineData("Commitments:ErpWebhook:Url", "not a url")]
    [InlineData("Commitments:OverdueAlertSeverity", "5")]
    [InlineData("People:Directory:CacheDuration", "-00:00:01")]
    [InlineData("People:Executives:0:Id", "")]
    [InlineData("People:Roles", "Janitor")]
    [InlineData("Bot:DefaultServiceUrl", "smba")]
    [InlineData("Bot:ProcessedActivityRetention", "0")]
    [InlineData("Database:MaxRetryDelay", "00:00:00")]
    [InlineData("Operations:ShutdownTimeout", "-00:00:30")]
    public void A_bad_value_stops_the_start_with_a_message_naming_its_key(string key, string value)
    {
        using var app = new OpsBotFactory();
        if (key.StartsWith("People:Executives:0:", StringComparison.Ordinal)) app.Settings["People:Executives:0:UserId"] = "29:someone";
        if (key == "People:Roles") app.Settings[$"People:Roles:{value}:People:0"] = "29:someone";
        else app.Settings[key] = value;

        var error = Assert.ThrowsAny<Exception>(() => app.Services);

        Assert.Contains(key, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_defaults_start()
    {
        using var app = new OpsBotFactory();

        var alerts = app.Services.GetRequiredService<IOptions<AlertOptions>>().Value;

        Assert.Equal(TimeSpan.FromMinutes(1), alerts.TimerInterval);
        Assert.Equal(TimeSpan.FromHours(24), alerts.RemindAfter);
    }

    [Fact]
    public async Task A_process_started_with_a_bad_value_exits_and_says_which_key()
    {
        var env = new Dictionary<string, string>
        {
            ["Database__Provider"] = "Sqlite",
            ["Database__ConnectionString"] = $"Data Source={Path.Combine(Path.GetTempPath(), "opsbot-options-" + Guid.NewGuid().ToString("n") + ".db")}",
            ["Database__MigrateOnStartup"] = "true",
            ["Messaging__HeartbeatInterval"] = "-1",
        };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => OpsBotProcess.StartAsync(env));

        Assert.Contains("Messaging:HeartbeatInterval", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Old_keys_are_read_for_one_release_with_one_warning_each_naming_the_new_key()
    {
        var logs = new CapturingLoggerProvider();
        using var app = new OpsBotFactory { TestServices = s => s.AddSingleton<ILoggerProvider>(logs) };
        app.Settings["People:Admins:0"] = "29:new-admin";
        app.Settings["Alerts:Admins:0"] = "29:alerts-admin";
        app.Settings["Directory:Admins:0"] = "29:directory-admin";
        app.Settings["Commitments:Admins:0"] = "29:accounts-admin";
        app.Settings["Escalations:Leadership:0"] = "29:ceo";
        app.Settings["Commitments:Roles:OrderDesk:People:0"] = "29:order-desk";
        app.Settings["Directory:Executives:0:Id"] = "ann";
        app.Settings["Directory:Executives:0:UserId"] = "29:ann";
        app.Settings["Directory:CacheSeconds"] = "5";
        app.Settings["Alerts:TimerSeconds"] = "3600";
        app.Settings["Alerts:RemindEveryHours"] = "6";
        app.Settings["Alerts:Executives:0:UserId"] = "29:old-ceo";

        var people = app.Services.GetRequiredService<IOptions<PeopleOptions>>().Value;
        var alerts = app.Services.GetRequiredService<IOptions<AlertOptions>>().Value;

        Assert.Equal(["29:new-admin", "29:alerts-admin", "29:directory-admin", "29:accounts-admin"], people.Admins);
        Assert.Equal(["29:ceo"], people.Leadership);
        Assert.Equal(["29:order-desk"], people.Roles["OrderDesk"].People);
        Assert.Equal("ann", Assert.Single(people.Executives).Id); // Alerts:Executives is ignored while the directory lists executives
        Assert.Equal(TimeSpan.FromSeconds(5), people.Directory.CacheDuration);
        Assert.Equal(TimeSpan.FromHours(1), alerts.TimerInterval);
        Assert.Equal(TimeSpan.FromHours(6), alerts.RemindAfter);
        var warnings = logs.Lines.Where(l => l.StartsWith("Warning OpsBot.Settings.", StringComparison.Ordinal)).ToList();
        foreach (var (old, @new) in new[]
                 {
                     ("Alerts:Admins", "People:Admins"), ("Directory:Admins", "People:Admins"), ("Commitments:Admins", "People:Admins"),
                     ("Escalations:Leadership", "People:Leadership"), ("Commitments:Roles", "People:Roles"), ("Directory:Executives", "People:Executives"),
                     ("Directory:CacheSeconds", "People:Directory:CacheDuration"), ("Alerts:TimerSeconds", "Alerts:TimerInterval"),
                     ("Alerts:RemindEveryHours", "Alerts:RemindAfter"), ("Alerts:Executives", "People:Executives"),
                 })
            Assert.Single(warnings, w => w.Contains($"key {old} is deprecated", StringComparison.Ordinal) && w.Contains("use " + @new, StringComparison.Ordinal));
        Assert.Equal(10, warnings.Count);
    }

    [Fact]
    public void Alerts_Executives_fill_an_empty_directory_for_one_release()
    {
        using var app = new OpsBotFactory();
        app.Settings["Alerts:Executives:0:UserId"] = "29:ceo";
        app.Settings["Alerts:Executives:0:Name"] = "Chief Executive";

        var seed = Assert.Single(app.Services.GetRequiredService<IOptions<PeopleOptions>>().Value.Executives);

        Assert.Equal(("29:ceo", "29:ceo", "Chief Executive"), (seed.Id, seed.UserId, seed.Name));
    }

    [Fact]
    public void New_keys_win_over_old_ones()
    {
        using var app = new OpsBotFactory();
        app.Settings["Alerts:TimerInterval"] = "00:05:00";
        app.Settings["Alerts:TimerSeconds"] = "1";

        Assert.Equal(TimeSpan.FromMinutes(5), app.Services.GetRequiredService<IOptions<AlertOptions>>().Value.TimerInterval);
    }
}
