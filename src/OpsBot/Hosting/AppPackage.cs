using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace OpsBot.Hosting;

/// <summary>
/// Builds the Teams app package: <c>manifest/manifest.json</c> with <c>{{APP_ID}}</c> and <c>{{HOST}}</c> substituted,
/// plus <c>color.png</c> and <c>outline.png</c>, all three at the root of a zip.
/// </summary>
public static partial class AppPackage
{
    public const string AppIdPlaceholder = "{{APP_ID}}";
    public const string HostPlaceholder = "{{HOST}}";
    public const string DefaultZipName = "opsbot-teams.zip";
    public static readonly IReadOnlyList<string> Files = ["manifest.json", "color.png", "outline.png"];

    public const string Usage = """
        Usage: dotnet run --project src/OpsBot -- package --app-id <guid> --host <host> [--output <path>]
          --app-id   Microsoft App ID of the Azure Bot (Entra app client id), e.g. 8d0e7b1a-6c2f-4e3d-b5a4-9f1e2d3c4b5a
          --host     public host name serving /api/messages, without https:// or a path, e.g. opsbot.contoso.com
          --output   zip to write (default: artifacts/opsbot-teams.zip). Inside the repository relative paths start at its
                     root (dotnet run runs the app in src/OpsBot); elsewhere at the current directory.
        """;

    public static string DefaultManifestFolder => Path.Combine(AppContext.BaseDirectory, "manifest");

    /// <summary>The <c>package</c> CLI verb; returns the process exit code (0 ok, 2 bad arguments, 1 failure).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, string? manifestFolder = null)
    {
        string? appIdText = null, hostText = null, outputPath = null;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help") { output.WriteLine(Usage); return 0; }
            if (name is not ("--app-id" or "--host" or "--output"))
                return BadArguments(error, $"Unknown option '{name}'.");
            if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                return BadArguments(error, $"Option {name} needs a value.");
            var value = args[++i];
            switch (name)
            {
                case "--app-id": appIdText = value; break;
                case "--host": hostText = value; break;
                default: outputPath = value; break;
            }
        }

        if (appIdText is null) return BadArguments(error, "Missing --app-id.");
        if (!TryParseAppId(appIdText, out var appId))
            return BadArguments(error, appId == Guid.Empty && appIdText.Trim('0', '-').Length == 0
                ? "--app-id must be the bot's app id, not the all-zero GUID."
                : $"--app-id '{appIdText}' is not a GUID like 8d0e7b1a-6c2f-4e3d-b5a4-9f1e2d3c4b5a.");
        if (hostText is null) return BadArguments(error, "Missing --host.");
        if (!TryParseHost(hostText, out var host, out var hostProblem))
            return BadArguments(error, $"--host '{hostText}' {hostProblem}");

        try
        {
            var zip = Build(manifestFolder ?? DefaultManifestFolder, appId, host, ResolveOutput(outputPath, Environment.CurrentDirectory));
            output.WriteLine(zip);
            return 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            error.WriteLine($"Could not build the app package: {e.Message}");
            return 1;
        }
    }

    /// <summary>
    /// Where the zip goes: relative paths start at the repository root (the folder holding OpsBot.sln above
    /// <paramref name="workingDirectory"/>) so <c>dotnet run --project src/OpsBot</c> behaves as if run from the root; outside
    /// a checkout they start at <paramref name="workingDirectory"/>. No path = <c>artifacts/opsbot-teams.zip</c> in a checkout.
    /// </summary>
    public static string ResolveOutput(string? output, string workingDirectory)
    {
        string? repository = null;
        for (var dir = new DirectoryInfo(workingDirectory); dir is not null && repository is null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "OpsBot.sln"))) repository = dir.FullName;
        output ??= repository is null ? DefaultZipName : Path.Combine("artifacts", DefaultZipName);
        return Path.GetFullPath(output, repository ?? workingDirectory);
    }

    /// <summary>Writes the package to <paramref name="zipPath"/> (replacing it) and returns its full path.</summary>
    public static string Build(string manifestFolder, Guid appId, string host, string zipPath)
    {
        foreach (var file in Files)
            if (!File.Exists(Path.Combine(manifestFolder, file)))
                throw new FileNotFoundException($"'{Path.Combine(manifestFolder, file)}' is missing.");

        var manifest = Substitute(File.ReadAllText(Path.Combine(manifestFolder, "manifest.json")), appId, host);
        var fullPath = Path.GetFullPath(zipPath);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        var temp = fullPath + ".tmp";
        try
        {
            using (var zip = ZipFile.Open(temp, ZipArchiveMode.Create))
            {
                using (var writer = new StreamWriter(zip.CreateEntry("manifest.json", CompressionLevel.Optimal).Open()))
                    writer.Write(manifest);
                foreach (var icon in Files.Skip(1))
                    zip.CreateEntryFromFile(Path.Combine(manifestFolder, icon), icon, CompressionLevel.Optimal);
            }
            File.Move(temp, fullPath, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
        return fullPath;
    }

    /// <summary>Substitutes the placeholders; fails when the result is not JSON or still holds a <c>{{…}}</c> placeholder.</summary>
    public static string Substitute(string manifestTemplate, Guid appId, string host)
    {
        var text = manifestTemplate.Replace(AppIdPlaceholder, appId.ToString("D"), StringComparison.Ordinal)
            .Replace(HostPlaceholder, host, StringComparison.Ordinal);
        var left = Placeholder().Match(text);
        if (left.Success) throw new InvalidDataException($"manifest.json has a placeholder the package verb does not fill: {left.Value}");
        try
        {
            JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"manifest.json is not valid JSON: {e.Message}", e);
        }
        return text;
    }

    /// <summary>A GUID in the 8-4-4-4-12 form the manifest schema demands (braces and bare hex are refused).</summary>
    public static bool TryParseAppId(string text, out Guid appId) =>
        Guid.TryParseExact(text, "D", out appId) && appId != Guid.Empty;

    /// <summary>A public DNS host name (what Teams needs for validDomains and the messaging endpoint), lower-cased.</summary>
    public static bool TryParseHost(string text, out string host, out string problem)
    {
        host = text.Trim().ToLowerInvariant();
        problem = "";
        if (host.Contains("://", StringComparison.Ordinal) || host.Contains('/'))
            problem = "must be a host name only, without https:// or a path (e.g. opsbot.contoso.com).";
        else if (host.Contains(':'))
            problem = "must be a host name without a port (e.g. opsbot.contoso.com).";
        else if (host.Length > 253 || Uri.CheckHostName(host) != UriHostNameType.Dns || !host.Contains('.'))
            problem = "is not a fully qualified DNS host name (e.g. opsbot.contoso.com).";
        return problem.Length == 0;
    }

    private static int BadArguments(TextWriter error, string message)
    {
        error.WriteLine(message);
        error.WriteLine(Usage);
        return 2;
    }

    [GeneratedRegex(@"\{\{[A-Za-z0-9_]+\}\}")]
    private static partial Regex Placeholder();
}
