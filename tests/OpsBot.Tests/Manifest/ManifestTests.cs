using System.IO.Compression;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OpsBot.Hosting;

namespace OpsBot.Tests.Manifest;

/// <summary>The manifest that goes into the package, checked by the official schema and by the rules the schema leaves out.</summary>
public sealed class ManifestTests : IDisposable
{
    private static readonly Guid AppId = Guid.Parse("8d0e7b1a-6c2f-4e3d-b5a4-9f1e2d3c4b5a");
    private const string Host = "opsbot.contoso.example";
    private readonly string _dir = Directory.CreateTempSubdirectory("opsbot-manifest-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PackagedManifestFile()
    {
        var zip = AppPackage.Build(RepoFiles.PathOf("manifest"), AppId, Host, Path.Combine(_dir, "app.zip"));
        var file = Path.Combine(_dir, "manifest.json");
        using var archive = ZipFile.OpenRead(zip);
        archive.GetEntry("manifest.json")!.ExtractToFile(file);
        return file;
    }

    private JsonObject PackagedManifest() => JsonNode.Parse(File.ReadAllText(PackagedManifestFile()))!.AsObject();

    [Fact]
    public async Task Packaged_manifest_validates_against_the_official_schema_with_zero_errors()
    {
        var (exit, output, error) = await RepoFiles.RunNodeAsync("validate-manifest.mjs", PackagedManifestFile());

        Assert.True(exit == 0, $"exit {exit}: {output} {error}");
        var result = JsonNode.Parse(output)!;
        Assert.Equal("v1.22", result["schema"]!.GetValue<string>());
        Assert.Empty(result["errors"]!.AsArray());
    }

    [Fact]
    public async Task The_schema_check_rejects_a_broken_manifest()
    {
        var manifest = PackagedManifest();
        manifest["accentColor"] = "#FFF";
        manifest["manifestVersion"] = "1.21";
        var file = Path.Combine(_dir, "broken.json");
        await File.WriteAllTextAsync(file, manifest.ToJsonString());

        var (exit, output, _) = await RepoFiles.RunNodeAsync("validate-manifest.mjs", file);

        Assert.Equal(1, exit);
        var errors = JsonNode.Parse(output)!["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
        Assert.Contains(errors, e => e.StartsWith("/accentColor must match pattern", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("/manifestVersion must be equal to constant", StringComparison.Ordinal));
    }

    [Fact]
    public void ManifestVersion_matches_the_schema_url_and_the_committed_file_keeps_its_placeholders()
    {
        var template = File.ReadAllText(RepoFiles.PathOf("manifest", "manifest.json"));
        var manifest = JsonNode.Parse(template)!;

        var schema = manifest["$schema"]!.GetValue<string>();
        Assert.Equal("https://developer.microsoft.com/json-schemas/teams/v1.22/MicrosoftTeams.schema.json", schema);
        Assert.Equal("1.22", manifest["manifestVersion"]!.GetValue<string>());
        Assert.Matches(@"^\d+\.\d+\.\d+$", manifest["version"]!.GetValue<string>());
        Assert.Contains(AppPackage.AppIdPlaceholder, template, StringComparison.Ordinal);
        Assert.Contains(AppPackage.HostPlaceholder, template, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(AppPackage.DefaultManifestFolder, "manifest.json")), "manifest/ is not copied next to the binary");
    }

    [Fact]
    public void Every_id_and_domain_is_substituted_consistently()
    {
        var manifest = PackagedManifest();
        var id = AppId.ToString("D");

        Assert.DoesNotContain("{{", manifest.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(id, manifest["id"]!.GetValue<string>());
        Assert.Equal(id, manifest["bots"]![0]!["botId"]!.GetValue<string>());
        Assert.Equal(id, manifest["composeExtensions"]![0]!["botId"]!.GetValue<string>());
        Assert.Equal(id, manifest["webApplicationInfo"]!["id"]!.GetValue<string>());
        Assert.Equal($"api://{Host}/{id}", manifest["webApplicationInfo"]!["resource"]!.GetValue<string>());
        Assert.Equal([Host], manifest["validDomains"]!.AsArray().Select(d => d!.GetValue<string>()));
        foreach (var url in new[] { "websiteUrl", "privacyUrl", "termsOfUseUrl" })
            Assert.StartsWith($"https://{Host}/", manifest["developer"]![url]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void Bot_is_conversational_in_every_scope_with_valid_command_lists()
    {
        var bot = PackagedManifest()["bots"]!.AsArray().Single()!;
        Assert.Equal(["personal", "team", "groupChat"], bot["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.False(bot["isNotificationOnly"]!.GetValue<bool>());

        var lists = bot["commandLists"]!.AsArray();
        Assert.InRange(lists.Count, 1, 3);
        Assert.Equal(["groupChat", "personal", "team"], lists.SelectMany(l => l!["scopes"]!.AsArray().Select(s => s!.GetValue<string>())).Order());
        foreach (var list in lists)
        {
            var titles = list!["commands"]!.AsArray().Select(c => c!["title"]!.GetValue<string>()).ToList();
            Assert.InRange(titles.Count, 1, 10);
            Assert.Contains("help", titles);
            Assert.Equal(titles.Count, titles.Distinct(StringComparer.OrdinalIgnoreCase).Count());
            Assert.All(titles, t => Assert.Matches(new Regex("^[a-z][a-z ]*[a-z]$"), t));
            Assert.All(list["commands"]!.AsArray(), c => Assert.False(string.IsNullOrWhiteSpace(c!["description"]?.GetValue<string>())));
        }
    }

    [Fact]
    public void Escalate_message_action_opens_a_dialog_from_the_message_menu()
    {
        var command = PackagedManifest()["composeExtensions"]!.AsArray().Single()!["commands"]!.AsArray().Single()!;

        Assert.Equal("escalateMessage", command["id"]!.GetValue<string>());
        Assert.Equal("action", command["type"]!.GetValue<string>());
        Assert.Equal("Escalate to an executive", command["title"]!.GetValue<string>());
        Assert.Equal(["message"], command["context"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.True(command["fetchTask"]!.GetValue<bool>());
    }

    [Fact]
    public void Resource_specific_consent_asks_only_for_roster_reads()
    {
        var permissions = PackagedManifest()["authorization"]!["permissions"]!["resourceSpecific"]!.AsArray()
            .Select(p => $"{p!["name"]!.GetValue<string>()}:{p["type"]!.GetValue<string>()}").Order();

        Assert.Equal(["ChatMember.Read.Chat:Application", "TeamMember.Read.Group:Application"], permissions);
    }

    [Fact]
    public void Boards_are_a_personal_tab_and_a_channel_tab_on_the_same_host_signed_in_through_webApplicationInfo()
    {
        var manifest = PackagedManifest();
        var personal = manifest["staticTabs"]!.AsArray().Single()!;
        Assert.Equal($"https://{Host}/tab", personal["contentUrl"]!.GetValue<string>());
        Assert.Equal(["personal"], personal["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        var channel = manifest["configurableTabs"]!.AsArray().Single()!;
        Assert.Equal($"https://{Host}/tab/config", channel["configurationUrl"]!.GetValue<string>());
        Assert.Contains("team", channel["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Contains(Host, manifest["validDomains"]!.AsArray().Select(d => d!.GetValue<string>()));
        // The tab's SSO token is issued for this resource: Boards:Tab:Audience is the same string.
        Assert.Equal($"api://{Host}/{AppId}", manifest["webApplicationInfo"]!["resource"]!.GetValue<string>());
    }
}
