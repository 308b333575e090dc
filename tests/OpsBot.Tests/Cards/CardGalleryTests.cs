namespace OpsBot.Tests.Cards;

/// <summary>
/// The gallery script (official templating + official renderer in headless Chromium) renders every card in the light, dark and
/// high-contrast themes, and the committed gallery (docs/cards, README) shows every card in cards/ and nothing else.
/// </summary>
public sealed class CardGalleryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("opsbot-gallery-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Every_card_with_sample_data_renders_in_light_dark_and_high_contrast()
    {
        var start = RepoFiles.NodeStart("render-gallery.mjs");
        start.Environment["GALLERY_OUT"] = _dir;

        var (exit, output, error) = await RepoFiles.RunAsync(start);

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{error}");
        var cards = Directory.EnumerateFiles(RepoFiles.PathOf("cards"), "*.json").Select(Path.GetFileNameWithoutExtension)
            .Where(n => File.Exists(RepoFiles.PathOf("cards", "samples", $"{n}.data.json"))).ToList();
        Assert.Contains("welcome", cards);
        foreach (var card in cards)
        {
            var light = Png.Decode(await File.ReadAllBytesAsync(Path.Combine(_dir, $"{card}.png")));
            var dark = Png.Decode(await File.ReadAllBytesAsync(Path.Combine(_dir, $"{card}.dark.png")));
            var contrast = Png.Decode(await File.ReadAllBytesAsync(Path.Combine(_dir, $"{card}.contrast.png")));
            Assert.Equal(480 + 2 + 32, light.Width);
            Assert.True(light.Height > 60, $"{card}.png is only {light.Height} px high");
            Assert.Equal((0xF5, 0xF5, 0xF5), Rgb(light.Pixel(0, 0)));
            Assert.Equal((0x1F, 0x1F, 0x1F), Rgb(dark.Pixel(0, 0)));
            Assert.Equal((0xE1, 0xDF, 0xDD), Rgb(light.Pixel(light.Width / 2, 16)));
            Assert.Equal((0x3B, 0x3A, 0x39), Rgb(dark.Pixel(dark.Width / 2, 16)));
            Assert.Equal((0, 0, 0), Rgb(contrast.Pixel(0, 0)));
            Assert.Equal((0xFF, 0xFF, 0xFF), Rgb(contrast.Pixel(contrast.Width / 2, 16)));
            Assert.True(light.Pixels().Count(p => p.R < 0x80) > 200, $"{card}.png shows no dark text on the light theme");
            Assert.True(dark.Pixels().Count(p => p.R > 0xC0 && p.G > 0xC0) > 200, $"{card}.dark.png shows no light text on the dark theme");
            Assert.True(contrast.Pixels().Count(p => p.R > 0xC0 && p.G > 0xC0) > 200, $"{card}.contrast.png shows no text");
        }
    }

    private static readonly string[] Themes = ["", ".dark", ".contrast"];

    private static List<string> CardNames() =>
        [.. Directory.EnumerateFiles(RepoFiles.PathOf("cards"), "*.json").Select(f => Path.GetFileNameWithoutExtension(f)!).Order(StringComparer.Ordinal)];

    [Fact]
    public void Every_card_has_committed_gallery_images_and_every_image_a_card()
    {
        var cards = CardNames();
        var images = Directory.EnumerateFiles(RepoFiles.PathOf("docs", "cards"), "*.png").Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var expected = cards.SelectMany(c => Themes.Select(t => $"{c}{t}.png")).ToHashSet(StringComparer.Ordinal);

        var missing = expected.Except(images).Order(StringComparer.Ordinal).ToList();
        var orphans = images.Except(expected).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, $"cards without gallery images (run ./build.sh gallery): {string.Join(", ", missing)}");
        Assert.True(orphans.Count == 0, $"gallery images without a card in cards/: {string.Join(", ", orphans)}");
    }

    [Fact]
    public void Readme_gallery_shows_every_card_and_only_existing_images()
    {
        var readme = File.ReadAllText(RepoFiles.PathOf("README.md"));
        var from = readme.IndexOf("<!-- card-gallery:start -->", StringComparison.Ordinal);
        var to = readme.IndexOf("<!-- card-gallery:end -->", StringComparison.Ordinal);
        Assert.True(from >= 0 && to > from, "README.md has no card-gallery block");
        var gallery = readme[from..to];

        var referenced = System.Text.RegularExpressions.Regex.Matches(gallery, @"docs/cards/([^)""\s]+\.png)").Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var notShown = CardNames().SelectMany(c => Themes.Select(t => $"{c}{t}.png")).Where(f => !referenced.Contains(f)).ToList();
        var broken = referenced.Where(f => !File.Exists(RepoFiles.PathOf("docs", "cards", f))).ToList();
        Assert.True(notShown.Count == 0, $"README gallery does not show: {string.Join(", ", notShown)}");
        Assert.True(broken.Count == 0, $"README gallery links missing images: {string.Join(", ", broken)}");
    }

    private static (int, int, int) Rgb((byte R, byte G, byte B, byte A) p) => (p.R, p.G, p.B);
}
