using System.Text.Json;

namespace KvStore.Operations.Tests;

/// <summary>
/// etcd's --logger, --log-outputs and --log-level: capnslog's text lines and zap's JSON objects as etcd 3.4 prints
/// them (its ready line beside kvstore's), text by default on a terminal and JSON otherwise, log files, and etcd's
/// refusals of logger flags that do not fit together.
/// </summary>
public sealed class LoggingTests : IDisposable
{
    private const string CapnslogLine = @"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} [TDINWEC] \| [A-Za-z0-9_./-]+: ";
    private readonly string _root = Directory.CreateTempSubdirectory("kvstore-ops-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Capnslog_text_lines_as_etcd_prints_them()
    {
        var etcdLines = await LinesUntilReadyAsync("etcd", "--logger", "capnslog");
        var kvLines = await LinesUntilReadyAsync("kvstore", "--logger", "capnslog");
        string etcdReady = etcdLines.Single(l => l.EndsWith("ready to serve client requests", StringComparison.Ordinal));
        string kvReady = kvLines.Single(l => l.EndsWith("ready to serve client requests", StringComparison.Ordinal));
        Assert.Matches(CapnslogLine, etcdReady);
        Assert.Matches(CapnslogLine + "ready to serve client requests$", kvReady);
        Assert.Contains(" I | ", kvReady);
        Assert.All(kvLines, l => Assert.Matches(CapnslogLine, l));
    }

    [Fact]
    public async Task Zap_json_objects_as_etcd_prints_them()
    {
        // etcd 3.4's zap logger has no ready line: its last start line says it serves insecurely, as kvstore's does
        const string Insecure = "serving client traffic insecurely";
        var etcdLines = await LinesUntilAsync("etcd", Insecure, "--logger", "zap");
        var kvLines = await LinesUntilAsync("kvstore", SingleMember.ReadyLine, "--logger", "zap");
        JsonElement etcdReady = etcdLines.Select(l => JsonDocument.Parse(l).RootElement).First(e => e.GetProperty("msg").GetString()!.StartsWith(Insecure, StringComparison.Ordinal));
        JsonElement kvReady = kvLines.Select(l => JsonDocument.Parse(l).RootElement).Single(e => e.GetProperty("msg").GetString() == SingleMember.ReadyLine);
        Assert.Equal("127.0.0.1:", kvLines.Select(l => JsonDocument.Parse(l).RootElement).First(e => e.GetProperty("msg").GetString()!.StartsWith(Insecure, StringComparison.Ordinal))
            .GetProperty("address").GetString()![..10]); // the structured fields too, with etcd's names
        foreach (string key in new[] { "level", "ts", "msg" })
        {
            Assert.Equal(JsonValueKind.String, etcdReady.GetProperty(key).ValueKind);
            Assert.Equal(JsonValueKind.String, kvReady.GetProperty(key).ValueKind);
        }
        Assert.Equal(etcdReady.GetProperty("level").GetString(), kvReady.GetProperty("level").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", kvReady.GetProperty("ts").GetString()!); // zap's ISO 8601, as etcd's
        Assert.All(kvLines, l => JsonDocument.Parse(l).Dispose());
    }

    [Fact]
    public async Task Without_logger_json_when_not_on_a_terminal_and_text_on_one()
    {
        var piped = await LinesUntilReadyAsync("kvstore", "--logger", "");
        Assert.All(piped, l => Assert.StartsWith("{\"level\":", l));

        // script(1) gives the member a pseudo-terminal for its stdout and stderr
        var launch = Launch.OnFreePorts(Path.Combine(_root, "tty"));
        string command = string.Join(' ', new[] { Binaries.DotnetHost(), Binaries.KvStoreDll }.Concat(launch.Args).Select(a => "'" + a + "'"));
        using var onTerminal = new ChildProcess("script", ["-qfec", command, "/dev/null"]);
        Assert.True(await onTerminal.WaitForLineAsync(SingleMember.ReadyLine, TimeSpan.FromSeconds(90)), onTerminal.Output);
        string ready = onTerminal.Output.Split('\n').Select(l => l.TrimEnd('\r')).Single(l => l.Contains(SingleMember.ReadyLine, StringComparison.Ordinal));
        Assert.Matches(CapnslogLine + "ready to serve client requests$", ready);
    }

    [Fact]
    public async Task Log_outputs_write_to_files()
    {
        string file = Path.Combine(_root, "kvstore.log");
        var launch = Launch.OnFreePorts(Path.Combine(_root, "file"));
        using ChildProcess member = launch.Start("kvstore", "--logger", "zap", "--log-outputs", file);
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!(File.Exists(file) && File.ReadAllText(file).Contains(SingleMember.ReadyLine, StringComparison.Ordinal)))
        {
            Assert.False(member.HasExited, member.Output);
            Assert.True(DateTime.UtcNow < deadline, "no ready line in " + file);
            await Task.Delay(100);
        }
        Assert.DoesNotContain(SingleMember.ReadyLine, member.Output); // the file only: not stderr
        Assert.All(File.ReadAllLines(file), l => JsonDocument.Parse(l).Dispose());
    }

    [Theory]
    [InlineData("--logger", "foo")]
    [InlineData("--logger", "capnslog", "--log-outputs", "stdout,stderr")]
    [InlineData("--logger", "capnslog", "--log-outputs", "/tmp/kvstore-never.log")]
    [InlineData("--logger", "zap", "--log-outputs", "default,stderr")]
    [InlineData("--logger", "zap", "--log-outputs", "/nonexistent-kvstore-dir/x.log")]
    public void Logger_flags_that_do_not_fit_are_refused_with_etcds_words(params string[] flags)
    {
        (int etcdCode, string etcdOutput) = Launch.OnFreePorts(Path.Combine(_root, "e")).RunToExit("etcd", flags);
        (int kvCode, string kvOutput) = Launch.OnFreePorts(Path.Combine(_root, "k")).RunToExit("kvstore", flags);
        Assert.Equal(1, etcdCode);
        Assert.Equal(1, kvCode);
        // etcd: "... E | etcdmain: error verifying flags, <reason>. See 'etcd --help'."
        string reason = etcdOutput.Split("error verifying flags, ")[1].Split(". See 'etcd --help'.")[0];
        Assert.Contains($"error verifying flags, {reason}. See 'kvstore --help'.", kvOutput);
    }

    private Task<List<string>> LinesUntilReadyAsync(string server, params string[] flags) => LinesUntilAsync(server, SingleMember.ReadyLine, flags);

    private async Task<List<string>> LinesUntilAsync(string server, string line, params string[] flags)
    {
        var launch = Launch.OnFreePorts(Path.Combine(_root, server + Guid.NewGuid().ToString("N")));
        using ChildProcess member = launch.Start(server, flags); // "--logger" "": kvstore's default (Launch adds capnslog without --logger)
        Assert.True(await member.WaitForLineAsync(line, TimeSpan.FromSeconds(90)), member.Output);
        // etcd 3.4 prints its capnslog deprecation warning and raft's own lines outside its logger
        return member.Output.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("[WARNING]", StringComparison.Ordinal) && !l.StartsWith("raft", StringComparison.Ordinal)).ToList();
    }

}
