using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json.Nodes;
using OpsBot.Hosting;

namespace OpsBot.Tests.Manifest;

/// <summary>The <c>package</c> verb: the zip it writes, its icons, and its answers to bad arguments.</summary>
public sealed class AppPackageTests : IDisposable
{
    private const string AppId = "8d0e7b1a-6c2f-4e3d-b5a4-9f1e2d3c4b5a";
    private const string Host = "opsbot.contoso.example";
    private readonly string _dir = Directory.CreateTempSubdirectory("opsbot-package-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Exit, string Output, string Error)> RunCliAsync(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var exit = await Cli.RunAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    private static byte[] Read(ZipArchive zip, string name)
    {
        using var stream = zip.GetEntry(name)!.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    [Fact]
    public async Task Package_verb_writes_a_zip_with_the_manifest_and_both_icons_at_its_root()
    {
        var zipPath = Path.Combine(_dir, "out", "opsbot.zip");

        var (exit, output, error) = await RunCliAsync("package", "--app-id", AppId, "--host", Host, "--output", zipPath);

        Assert.True(exit == 0, error);
        Assert.Equal(zipPath, output.Trim());
        Assert.Equal(["opsbot.zip"], Directory.GetFiles(Path.Combine(_dir, "out")).Select(Path.GetFileName));
        using var zip = ZipFile.OpenRead(zipPath);
        Assert.Equal(["color.png", "manifest.json", "outline.png"], zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));

        var manifest = JsonNode.Parse(Read(zip, "manifest.json"))!;
        Assert.Equal(AppId, manifest["id"]!.GetValue<string>());
        Assert.Equal("color.png", manifest["icons"]!["color"]!.GetValue<string>());
        Assert.Equal("outline.png", manifest["icons"]!["outline"]!.GetValue<string>());
    }

    [Fact]
    public void Color_icon_is_a_192_pixel_opaque_full_colour_square()
    {
        var zipPath = AppPackage.Build(RepoFiles.PathOf("manifest"), Guid.Parse(AppId), Host, Path.Combine(_dir, "app.zip"));
        using var zip = ZipFile.OpenRead(zipPath);

        var color = Png.Decode(Read(zip, "color.png"));

        Assert.Equal((192, 192), (color.Width, color.Height));
        Assert.All(color.Pixels(), p => Assert.Equal(255, p.A));
        var colours = color.Pixels().Select(p => (p.R, p.G, p.B)).Distinct().ToList();
        Assert.Contains(colours, c => c.R != c.G || c.G != c.B);
        Assert.True(colours.Count > 2, "the colour icon has no artwork");
    }

    [Fact]
    public void Outline_icon_is_32_pixels_white_on_transparent()
    {
        var zipPath = AppPackage.Build(RepoFiles.PathOf("manifest"), Guid.Parse(AppId), Host, Path.Combine(_dir, "app.zip"));
        using var zip = ZipFile.OpenRead(zipPath);

        var outline = Png.Decode(Read(zip, "outline.png"));

        Assert.Equal((32, 32), (outline.Width, outline.Height));
        Assert.Contains(outline.ColorType, new byte[] { 4, 6 });
        Assert.All(outline.Pixels().Where(p => p.A > 0), p => Assert.Equal((255, 255, 255), (p.R, p.G, p.B)));
        Assert.Equal(0, outline.Pixel(0, 0).A);
        var opaque = outline.Pixels().Count(p => p.A == 255);
        var transparent = outline.Pixels().Count(p => p.A == 0);
        Assert.InRange(opaque, 100, 32 * 32 - 100);
        Assert.InRange(transparent, 100, 32 * 32 - 100);
    }

    [Theory]
    [InlineData(new[] { "--host", Host }, "Missing --app-id.")]
    [InlineData(new[] { "--app-id", "not-a-guid", "--host", Host }, "--app-id 'not-a-guid' is not a GUID")]
    [InlineData(new[] { "--app-id", "{8d0e7b1a-6c2f-4e3d-b5a4-9f1e2d3c4b5a}", "--host", Host }, "is not a GUID")]
    [InlineData(new[] { "--app-id", "00000000-0000-0000-0000-000000000000", "--host", Host }, "not the all-zero GUID")]
    [InlineData(new[] { "--app-id", AppId }, "Missing --host.")]
    [InlineData(new[] { "--app-id", AppId, "--host", "https://opsbot.contoso.example/" }, "without https:// or a path")]
    [InlineData(new[] { "--app-id", AppId, "--host", "opsbot.contoso.example:8443" }, "without a port")]
    [InlineData(new[] { "--app-id", AppId, "--host", "localhost" }, "is not a fully qualified DNS host name")]
    [InlineData(new[] { "--app-id", AppId, "--host", "bad_host!.example" }, "is not a fully qualified DNS host name")]
    [InlineData(new[] { "--app-id", "--host", Host }, "Option --app-id needs a value.")]
    [InlineData(new[] { "--app-id", AppId, "--host", Host, "--colour", "blue" }, "Unknown option '--colour'.")]
    public async Task Bad_arguments_fail_with_a_clear_message_and_the_usage(string[] args, string message)
    {
        var zipPath = Path.Combine(_dir, "never.zip");

        var (exit, output, error) = await RunCliAsync(["package", .. args, "--output", zipPath]);

        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Contains("Usage: dotnet run --project src/OpsBot -- package --app-id <guid> --host <host>", error, StringComparison.Ordinal);
        Assert.False(File.Exists(zipPath));
    }

    [Fact]
    public void A_missing_icon_is_reported_and_no_zip_is_written()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "manifest")).FullName;
        File.Copy(RepoFiles.PathOf("manifest", "manifest.json"), Path.Combine(folder, "manifest.json"));
        File.Copy(RepoFiles.PathOf("manifest", "color.png"), Path.Combine(folder, "color.png"));
        var zipPath = Path.Combine(_dir, "app.zip");
        var (output, error) = (new StringWriter(), new StringWriter());

        var exit = AppPackage.Run(["--app-id", AppId, "--host", Host, "--output", zipPath], output, error, folder);

        Assert.Equal(1, exit);
        Assert.Contains("outline.png' is missing", error.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(zipPath));
    }

    [Fact]
    public void Relative_outputs_start_at_the_repository_root_inside_a_checkout_and_at_the_current_directory_outside()
    {
        var project = RepoFiles.PathOf("src", "OpsBot");

        Assert.Equal(RepoFiles.PathOf("artifacts", "opsbot-teams.zip"), AppPackage.ResolveOutput(null, project));
        Assert.Equal(RepoFiles.PathOf("out", "x.zip"), AppPackage.ResolveOutput(Path.Combine("out", "x.zip"), project));
        Assert.Equal(Path.Combine(_dir, "abs.zip"), AppPackage.ResolveOutput(Path.Combine(_dir, "abs.zip"), project));
        Assert.Equal(Path.Combine(_dir, "opsbot-teams.zip"), AppPackage.ResolveOutput(null, _dir));
        Assert.Equal(Path.Combine(_dir, "x.zip"), AppPackage.ResolveOutput("x.zip", _dir));
    }

    [Fact]
    public void A_placeholder_the_verb_does_not_know_stops_the_build()
    {
        var error = Assert.Throws<InvalidDataException>(() =>
            AppPackage.Substitute("""{ "id": "{{APP_ID}}", "version": "{{VERSION}}" }""", Guid.Parse(AppId), Host));
        Assert.Contains("{{VERSION}}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_verb_lists_the_verbs_and_help_shows_them()
    {
        var unknown = await RunCliAsync("pakage");
        var help = await RunCliAsync("help");

        Assert.Equal(2, unknown.Exit);
        Assert.Contains("Unknown verb 'pakage'.", unknown.Error, StringComparison.Ordinal);
        Assert.Contains("package    build the Teams app package", unknown.Error, StringComparison.Ordinal);
        Assert.Equal(0, help.Exit);
        Assert.Contains("migrate", help.Output, StringComparison.Ordinal);
        Assert.Contains("package", help.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_built_app_exits_non_zero_on_bad_arguments_and_zero_with_the_zip_path()
    {
        var app = Path.Combine(AppContext.BaseDirectory, "OpsBot.dll");
        ProcessStartInfo Start(params string[] args)
        {
            var start = new ProcessStartInfo("dotnet") { WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(app);
            foreach (var a in args) start.ArgumentList.Add(a);
            return start;
        }

        var bad = await RepoFiles.RunAsync(Start("package", "--app-id", "nope", "--host", Host));
        var good = await RepoFiles.RunAsync(Start("package", "--app-id", AppId, "--host", Host));

        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--app-id 'nope' is not a GUID", bad.Error, StringComparison.Ordinal);
        Assert.True(good.ExitCode == 0, good.Error);
        Assert.Equal(Path.Combine(_dir, AppPackage.DefaultZipName), good.Output.Trim());
        Assert.True(File.Exists(Path.Combine(_dir, AppPackage.DefaultZipName)));
    }
}
