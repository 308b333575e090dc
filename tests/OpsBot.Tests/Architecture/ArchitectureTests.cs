using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using Mono.Cecil;
using OpsBot.Data;

namespace OpsBot.Tests.Architecture;

/// <summary>
/// The boundaries between OpsBot's parts, checked on the built assemblies (IL, method bodies included) and the sources: each
/// test names every crossing it finds.
/// </summary>
public sealed partial class ArchitectureTests
{
    private static readonly string App = typeof(OpsBot.Hosting.OpsBotHosting).Assembly.Location;
    private static readonly string Protocol = typeof(OpsBot.BotFramework.BotEndpoint).Assembly.Location;
    private static readonly string CardEngine = typeof(OpsBot.Cards.CardTemplate).Assembly.Location;

    /// <summary>The feature areas: each may use the others' data (entities and their enums, the shared EF model), never their code.</summary>
    public static readonly string[] Features = ["OpsBot.Alerts", "OpsBot.Commitments", "OpsBot.Escalations"];

    [Theory]
    [InlineData("OpsBot.BotFramework", "OpsBot")]
    [InlineData("OpsBot.Cards", "OpsBot")]
    [InlineData("OpsBot.Cards", "OpsBot.BotFramework")]
    public void A_bounded_part_does_not_reference_what_it_must_not_know(string part, string forbidden)
    {
        var path = part == "OpsBot.Cards" ? CardEngine : Protocol;
        None(ReferencesOf(path, part, forbidden));
    }

    /// <summary>Project references (what the build allows) and assembly references and type uses (what the compiled part really uses).</summary>
    public static List<string> ReferencesOf(string assemblyPath, string part, string forbidden)
    {
        var found = new List<string>();
        var project = XDocument.Load(RepoFiles.PathOf("src", part, part + ".csproj"));
        found.AddRange(project.Descendants("ProjectReference").Select(r => r.Attribute("Include")!.Value)
            .Where(p => Path.GetFileNameWithoutExtension(p.Replace('\\', '/')) == forbidden).Select(p => $"{part}.csproj references {p}"));
        using (var module = ModuleDefinition.ReadModule(assemblyPath))
            found.AddRange(module.AssemblyReferences.Where(r => r.Name == forbidden).Select(r => $"{part} references assembly {r.Name}"));
        found.AddRange(TypeUses.Of(assemblyPath).Where(u => u.Used.Scope.Name is var scope && (scope == forbidden || scope == forbidden + ".dll"))
            .Select(u => u.ToString()).Distinct());
        return found;
    }

    [Fact]
    public void A_feature_uses_no_code_of_another_feature_only_its_data()
    {
        None(FeatureCrossings(TypeUses.Of(App), SharedData()));
    }

    /// <summary>Uses of another feature's types other than the entities and enums of the EF model.</summary>
    public static List<string> FeatureCrossings(IEnumerable<TypeUse> uses, IReadOnlySet<string> sharedData) =>
        uses.Where(u => Features.FirstOrDefault(f => TypeUse.In(u.UserNamespace, f)) is { } from
                        && Features.Any(f => f != from && TypeUse.In(u.UsedNamespace, f))
                        && !sharedData.Contains(u.UsedName))
            .Select(u => u.ToString()).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>The entity types of the store's model and the enums their properties use.</summary>
    public static IReadOnlySet<string> SharedData()
    {
        using var db = new SqliteOpsBotDbContext(new DbContextOptionsBuilder<SqliteOpsBotDbContext>().UseSqlite("Data Source=:memory:").Options);
        var entities = db.Model.GetEntityTypes().Where(e => !e.IsPropertyBag).ToList();
        return entities.Select(e => e.ClrType)
            .Concat(entities.SelectMany(e => e.GetProperties()).Select(p => Nullable.GetUnderlyingType(p.ClrType) ?? p.ClrType).Where(t => t.IsEnum))
            .Select(t => t.FullName!).ToHashSet(StringComparer.Ordinal);
    }

    [Fact]
    public void Conversations_do_not_use_Hosting()
    {
        None(TypeUses.Of(App).Where(u => TypeUse.In(u.UserNamespace, "OpsBot.Conversations") && TypeUse.In(u.UsedNamespace, "OpsBot.Hosting"))
            .Select(u => u.ToString()).Distinct());
    }

    [Fact]
    public void Every_namespace_matches_its_folder()
    {
        None(NamespaceMismatches(RepoFiles.PathOf("src")).Concat(NamespaceMismatches(RepoFiles.PathOf("tests"))));
    }

    /// <summary>
    /// Files whose namespace is not their project's name followed by their folders (<c>src/OpsBot/Data/Migrations/Sqlite/x.cs</c>
    /// → <c>OpsBot.Data.Migrations.Sqlite</c>); only a <c>Program.cs</c> of top-level statements has none.
    /// </summary>
    public static List<string> NamespaceMismatches(string root)
    {
        var mismatches = new List<string>();
        foreach (var project in Directory.EnumerateFiles(root, "*.csproj", SearchOption.AllDirectories))
        {
            var folder = Path.GetDirectoryName(project)!;
            var name = Path.GetFileNameWithoutExtension(project);
            foreach (var file in Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(folder, file);
                var parts = Path.GetDirectoryName(relative)!.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length > 0 && parts[0] is "bin" or "obj" or "node_modules") continue;
                var expected = string.Join('.', [name, .. parts]);
                var declared = NamespaceDeclaration().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value).ToList();
                if (declared.Count == 0 && Path.GetFileName(file) != "Program.cs") mismatches.Add($"{name}/{relative}: no namespace (expected {expected})");
                mismatches.AddRange(declared.Where(d => d != expected).Select(d => $"{name}/{relative}: namespace {d}, folder says {expected}"));
            }
        }
        return mismatches;
    }

    /// <summary>Fails with every crossing, one per line.</summary>
    private static void None(IEnumerable<string> crossings)
    {
        var all = crossings.ToList();
        if (all.Count > 0) Assert.Fail($"{all.Count} boundary crossing(s):\n" + string.Join('\n', all));
    }

    [GeneratedRegex(@"^namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();
}
