using System.Diagnostics;
using KvStore.Wal;
using Microsoft.Extensions.Logging.Abstractions;
using static KvStore.CrashChild.CrashChildProgram;

namespace KvStore.CrashChild;

/// <summary>
/// The WAL crash child: appends entries whose payloads are a function of (seed, index) in groups, prints
/// <c>durable N</c> once entry N is synced, and is killed (SIGKILL) at the nth time the writer reaches a
/// <see cref="WalStep"/>. On start it checks every entry it finds against that function.
/// Usage: <c>KvStore.CrashChild wal &lt;dir&gt; &lt;seed&gt; &lt;count&gt; &lt;step|none&gt; &lt;nth&gt;</c>. WalCrashTests drive it.
/// </summary>
public static class WalChild
{
    /// <summary>Small segments, so a run cuts many.</summary>
    public const long SegmentBytes = 64 << 10;

    /// <summary>Entry index's payload: a third of them past the writer's copy limit (their own iovec), the rest small.</summary>
    public static byte[] Payload(int seed, long index)
    {
        var random = new Random(unchecked(seed * 1_000_003 + (int)index));
        byte[] payload = new byte[random.Next(3) == 0 ? random.Next(4097, 9000) : random.Next(1, 600)];
        random.NextBytes(payload);
        return payload;
    }

    public static WalOptions Options(string dir, IWalFaults? faults = null) =>
        new(dir, NullLogger.Instance) { SegmentBytes = SegmentBytes, Faults = faults };

    public static int Run(string[] args)
    {
        if (args.Length != 5 || !int.TryParse(args[1], out int seed) || !long.TryParse(args[2], out long count)
            || !int.TryParse(args[4], out int nth) || (args[3] != "none" && !Enum.TryParse(args[3], out WalStep _)))
        {
            Console.Error.WriteLine("usage: KvStore.CrashChild wal <dir> <seed> <count> <step|none> <nth>");
            return 2;
        }
        IWalFaults? faults = args[3] == "none" ? null : new KillAt(Enum.Parse<WalStep>(args[3]), nth, seed);
        using var wal = Wal.Wal.Open(Options(args[0], faults));
        for (long i = wal.FirstIndex; i <= wal.LastIndex; i++)
        {
            if (!wal.Read(i).Payload.Span.SequenceEqual(Payload(seed, i))) return Fail($"entry {i} differs from what was appended");
        }
        Say($"open last={wal.LastIndex}");
        var random = new Random(seed);
        long index = wal.LastIndex;
        while (index < count)
        {
            for (int n = random.Next(1, 8); n > 0 && index < count; n--)
            {
                index++;
                if (wal.Append(1, Payload(seed, index), false, null) != index) return Fail($"append returned another index than {index}");
            }
            wal.WaitDurableAsync(index).GetAwaiter().GetResult();
            Say($"durable {index}");
        }
        Say("done");
        return 0;
    }

    /// <summary>SIGKILL at the nth time the writer reaches <paramref name="step"/>; a partial write writes a seeded prefix.</summary>
    private sealed class KillAt(WalStep step, int nth, int seed) : IWalFaults
    {
        private int _seen;

        public void At(WalStep at)
        {
            if (at == WalStep.PartialWrite || (at == step && ++_seen == nth)) Process.GetCurrentProcess().Kill();
        }

        public int WriteLength(int batchLength) =>
            step == WalStep.PartialWrite && ++_seen == nth ? new Random(seed).Next(1, batchLength) : batchLength;
    }
}
