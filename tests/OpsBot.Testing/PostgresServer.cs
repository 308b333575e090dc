using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Xunit;

namespace OpsBot.Testing;

/// <summary>
/// A real PostgreSQL server for the test run: initdb in a temp folder, started on a free loopback port,
/// stopped at the end. Each test class gets its own database from <see cref="CreateDatabaseAsync"/>. Outage tests restart or
/// stop it (<see cref="RestartAsync"/>, <see cref="StopAsync"/>, <see cref="StartAsync"/>): they use their own instance
/// (the test project's <c>PostgresOutageCollection</c>) so that the suite-wide server never goes away under other test classes.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private string _dir = "";
    private string _bin = "";
    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        _bin = Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d, StringComparer.Ordinal)
                   .Select(d => Path.Combine(d, "bin")).FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
               ?? throw new InvalidOperationException("PostgreSQL server binaries not found under /usr/lib/postgresql; run ./build.sh test, which installs them.");
        _dir = Path.Combine(Path.GetTempPath(), "opsbot-pg-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(_dir);
        Port = FreePort();
        var asRoot = Environment.UserName == "root";
        if (asRoot) await RunAsync("chown", $"postgres:postgres {_dir}");
        await PgAsync(asRoot, "initdb", $"-D {_dir}/data -A trust -U opsbot --no-sync -E UTF8 --locale=C.UTF-8");
        await StartAsync();
    }

    private string ServerOptions => $"-o \"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=1000\"";

    /// <summary>Starts the server (again) on the same port and data folder, and waits until it accepts connections.</summary>
    public Task StartAsync() =>
        PgAsync(Environment.UserName == "root", "pg_ctl", $"-D {_dir}/data -w -t 60 -l {_dir}/server.log {ServerOptions} start");

    /// <summary>
    /// Stops the server with a <c>pg_ctl</c> shutdown mode: <c>fast</c> (sessions terminated with 57P01, clean shutdown) or
    /// <c>immediate</c> (processes killed, crash recovery at the next start). Connections are refused until <see cref="StartAsync"/>.
    /// </summary>
    public Task StopAsync(string mode = "fast") =>
        PgAsync(Environment.UserName == "root", "pg_ctl", $"-D {_dir}/data -w -t 60 -m {Mode(mode)} stop");

    /// <summary><c>pg_ctl restart -m fast|immediate</c>: the server goes away and comes back on the same port with the same data.</summary>
    public Task RestartAsync(string mode = "fast") =>
        PgAsync(Environment.UserName == "root", "pg_ctl", $"-D {_dir}/data -w -t 60 -l {_dir}/server.log -m {Mode(mode)} {ServerOptions} restart");

    private static string Mode(string mode) => mode is "smart" or "fast" or "immediate"
        ? mode
        : throw new ArgumentOutOfRangeException(nameof(mode), mode, "pg_ctl shutdown modes are smart, fast and immediate.");

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=opsbot;Database={database};Pooling=true;Maximum Pool Size=100;Connection Idle Lifetime=5;Connection Pruning Interval=1";

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "opsbot_" + Guid.NewGuid().ToString("n")[..12];
        // Unpooled: after a restart a pooled connection would be a dead one.
        await using var conn = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
        await cmd.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try { await StopAsync("immediate"); }
        catch (InvalidOperationException) when (!File.Exists(Path.Combine(_dir, "data", "postmaster.pid"))) { } // an outage test left it stopped
        finally { try { Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { } }
    }

    private Task PgAsync(bool asRoot, string tool, string args) =>
        asRoot ? RunAsync("runuser", $"-u postgres -- {Path.Combine(_bin, tool)} {args}") : RunAsync(Path.Combine(_bin, tool), args);

    private static async Task RunAsync(string file, string args)
    {
        var psi = new ProcessStartInfo("bash", ["-c", $"{file} {args}"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {args} failed ({p.ExitCode}): {await stderr}{await stdout}");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
