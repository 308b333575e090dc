using OpsBot.Cards;
using OpsBot.Tests.Infrastructure;

namespace OpsBot.Tests.Cards;

/// <summary>The app compiles its templates at start-up: a broken template stops it with the file and JSON path (the engine side: OpsBot.Cards.Tests).</summary>
public sealed class CardTemplatesStartupTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "opsbot-cards-" + Guid.NewGuid().ToString("n"));
    private string Folder => Path.Combine(_root, "cards");

    public CardTemplatesStartupTests() => Directory.CreateDirectory(Folder);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Write(string name, string json) => File.WriteAllText(Path.Combine(Folder, name + ".json"), json);

    [Fact]
    public void The_app_does_not_start_with_a_broken_template()
    {
        Write("broken", """{"type":"AdaptiveCard","body":[{"type":"TextBlock","text":"${if(a, b)}"}]}""");
        using var factory = new OpsBotFactory();
        factory.Settings["Cards:Folder"] = Folder;
        var ex = Record.Exception(() => factory.CreateClient());
        var inner = ex;
        while (inner is not null and not CardTemplateException) inner = inner.InnerException;
        Assert.NotNull(inner);
        Assert.Contains("cards/broken.json at $.body[0].text", inner.Message);
    }
}
