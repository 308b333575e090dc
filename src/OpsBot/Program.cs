using OpsBot.Hosting;

if (await Cli.TryRunAsync(args)) return;

var builder = WebApplication.CreateBuilder(args);
builder.AddOpsBot();

var app = builder.Build();
app.MapOpsBot();
await app.RunAsync();

public partial class Program;
