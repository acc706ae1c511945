using KvStore.TestSupport;

namespace KvStore.Host.Tests;

/// <summary>
/// <c>kvstore snapshot</c> reads its command line as etcdctl 3.4 does (pflag on System.CommandLine): the same exit code
/// and error line as the real etcdctl for each way of writing a flag. The snapshots themselves are compared in
/// tests/KvStore.Etcdctl.Tests (SnapshotRestoreTests, SnapshotBoltTests).
/// </summary>
public sealed class SnapshotCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task FlagSyntaxAndErrors_AreEtcdctls()
    {
        string missing = Path.Combine(_dir.Path, "missing.db");
        string existing = Path.Combine(_dir.Path, "existing");
        Directory.CreateDirectory(existing);
        string fresh = Path.Combine(_dir.Path, "fresh");
        string junk = Path.Combine(_dir.Path, "junk.db");
        await File.WriteAllBytesAsync(junk, new byte[20512]);
        string[][] cases =
        [
            ["status", missing, "--foo"],
            ["status", missing, "-x"],
            ["status", missing, "-xyz"],
            ["status", junk, "-wjson"],
            ["status", junk, "-wyaml"],
            ["status", missing, "-w"],
            ["status", junk, "-w=yaml"],
            ["status", missing, "--hex=maybe"],
            ["status", "--", "-w"],
            ["status", junk, "--hex", "-w", "json"],
            ["status", missing, missing],
            ["status"],
            ["restore", missing, "--data-dir"],
            ["restore", missing, "--skip-hash-check=maybe"],
            ["restore", "--skip-hash-check", missing, "--data-dir", fresh],
            ["restore", missing, "--data-dir", fresh, "--data-dir=" + existing],
            ["restore", missing, "--data-dir=" + fresh, "--name", "other"],
            ["restore", missing, "--name="],
            ["restore", "--data-dir", fresh, "--", missing],
            ["restore", "a", "b"],
        ];
        foreach (string[] args in cases)
        {
            var etcdctl = await Task.Run(() => Etcdctl.Run("http://127.0.0.1:1", ["snapshot", .. args]));
            (int, string) theirs = (etcdctl.Exit, ErrorLine(etcdctl.Err));
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int exit = await SnapshotCommand.RunAsync(args, stdout, stderr);
            (int, string) ours = (exit, ErrorLine(stderr.ToString()));
            Assert.True(theirs == ours, $"{string.Join(' ', args)}: etcdctl {theirs}, kvstore {ours}");
        }
        Assert.False(Directory.Exists(fresh));
    }

    [Fact]
    public async Task Help_IsTheUsage()
    {
        foreach (string[] args in (string[][])[[], ["help"], ["restore", "--help"], ["status", "x", "-h"]])
        {
            var stdout = new StringWriter();
            Assert.Equal(0, await SnapshotCommand.RunAsync(args, stdout, TextWriter.Null));
            Assert.Contains("kvstore snapshot restore <filename> [--data-dir D]", stdout.ToString(), StringComparison.Ordinal);
            Assert.Contains("kvstore snapshot status <filename> [-w simple|table|json|fields]", stdout.ToString(), StringComparison.Ordinal);
        }
    }

    private static string ErrorLine(string stderr) =>
        stderr.Split('\n').FirstOrDefault(l => l.StartsWith("Error:", StringComparison.Ordinal)) ?? "(no error line) " + stderr;
}
