using KvStore.CrashChild;
using KvStore.Wal;
using Xunit.Abstractions;

namespace KvStore.Crash.Tests;

/// <summary>
/// The WAL killed (SIGKILL, in a child process) at every step of a group commit: before the write, after part of it,
/// after all of it, after the fdatasync, and right after a segment cut. Reopened, the log holds every entry the child
/// saw durable, with its bytes, and no gap; it takes appends; and the child, started again, carries on to the end.
/// </summary>
public sealed class WalCrashTests(ITestOutputHelper output)
{
    private const long Count = 300;

    [Theory]
    [InlineData(WalStep.BeforeWrite)]
    [InlineData(WalStep.PartialWrite)]
    [InlineData(WalStep.AfterWrite)]
    [InlineData(WalStep.AfterSync)]
    [InlineData(WalStep.SegmentCut)]
    public async Task KilledAtAStepOfAGroupCommitTheLogKeepsEveryDurableEntry(WalStep step)
    {
        int seed = 11 + (int)step;
        int nth = step == WalStep.SegmentCut ? 2 : 5 + seed % 7;
        using var dir = new TempDir();
        long durable = 0;
        using (var child = new CrashChildProcess(["wal", dir.Path, seed.ToString(), Count.ToString(), step.ToString(), nth.ToString()]))
        {
            DateTime deadline = DateTime.UtcNow.AddSeconds(60);
            while (child.ReadLine(deadline) is { } line)
            {
                Assert.False(line.StartsWith("error", StringComparison.Ordinal), line);
                if (line.StartsWith("durable ", StringComparison.Ordinal)) durable = long.Parse(line["durable ".Length..]);
            }
            Assert.True(child.WaitForExit(TimeSpan.FromSeconds(30)));
            output.WriteLine($"{step} #{nth}: killed with exit code {child.ExitCode} after durable {durable}");
            Assert.NotEqual(0, child.ExitCode); // killed before the end
        }

        long last;
        using (var wal = Wal.Wal.Open(WalChild.Options(dir.Path)))
        {
            last = wal.LastIndex;
            Assert.Equal(1, wal.FirstIndex);
            Assert.True(last >= durable, $"entries through {durable} were durable, the log ends at {last}");
            for (long i = 1; i <= last; i++) Assert.True(wal.Read(i).Payload.Span.SequenceEqual(WalChild.Payload(seed, i)), $"entry {i}");
            Assert.Equal(last + 1, wal.Append(1, WalChild.Payload(seed, last + 1), false, null));
            await wal.WaitDurableAsync(last + 1);
        }

        using (var child = new CrashChildProcess(["wal", dir.Path, seed.ToString(), Count.ToString(), "none", "0"]))
        {
            DateTime deadline = DateTime.UtcNow.AddSeconds(60);
            string? open = null;
            while (child.ReadLine(deadline) is { } line) open ??= line;
            Assert.True(child.WaitForExit(TimeSpan.FromSeconds(30)) && child.ExitCode == 0, string.Join('\n', child.Output));
            Assert.Equal($"open last={last + 1}", open);
            Assert.Contains("done", child.Output);
        }
        using (var wal = Wal.Wal.Open(WalChild.Options(dir.Path)))
        {
            Assert.Equal(Count, wal.LastIndex);
            Assert.True(wal.SegmentCount > 1);
        }
    }
}
