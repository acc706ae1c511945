namespace KvStore.Wal.Tests;

public sealed class WalTests
{
    private static async Task AppendRange(Wal wal, long from, long to, long term)
    {
        for (long i = from; i <= to; i++) Assert.Equal(i, wal.Append(term, WalDir.Payload(i), i % 7 == 0, null));
        await wal.WaitDurableAsync(to);
    }

    private static void AssertEntries(Wal wal, long from, long to, long term)
    {
        for (long i = from; i <= to; i++)
        {
            var e = wal.Read(i);
            Assert.Equal(term, e.Term);
            Assert.Equal(i % 7 == 0, e.IsConfiguration);
            Assert.Equal(WalDir.Payload(i), e.Payload.ToArray());
        }
    }

    [Fact]
    public async Task AppendThenReopen()
    {
        using var dir = new WalDir();
        using (var wal = dir.Open())
        {
            await AppendRange(wal, 1, 50, 3);
            Assert.Equal(50, wal.DurableIndex);
        }
        using var reopened = dir.Open();
        Assert.Equal((1, 50, 50), (reopened.FirstIndex, reopened.LastIndex, reopened.DurableIndex));
        AssertEntries(reopened, 1, 50, 3);
        await AppendRange(reopened, 51, 60, 4);
        AssertEntries(reopened, 51, 60, 4);
    }

    [Fact]
    public async Task OverwriteThenReopen()
    {
        using var dir = new WalDir();
        using (var wal = dir.Open())
        {
            await AppendRange(wal, 1, 20, 1);
            wal.Write(11, 2, WalDir.Payload(11), false);
            Assert.Equal(11, wal.LastIndex);
            await wal.WaitDurableAsync(11);
            Assert.Throws<ArgumentOutOfRangeException>(() => wal.Write(13, 2, WalDir.Payload(13), false));
        }
        using var reopened = dir.Open();
        Assert.Equal(11, reopened.LastIndex);
        Assert.Equal(2, reopened.TermAt(11));
        Assert.Equal(1, reopened.TermAt(10));
        AssertEntries(reopened, 1, 10, 1);
    }

    [Fact]
    public async Task SegmentCutAndCompaction()
    {
        using var dir = new WalDir();
        using (var wal = dir.Open(segmentBytes: 1024))
        {
            for (long i = 1; i <= 60; i++)
            {
                wal.Append(1, WalDir.Payload(i), false, null);
                await wal.WaitDurableAsync(i);
            }
            Assert.True(wal.SegmentCount > 3, $"{wal.SegmentCount} segments");
            // An oversized batch grows its own segment.
            wal.Append(1, new byte[3000], false, null);
            await wal.WaitDurableAsync(61);
            await wal.CompactAsync(30);
            Assert.InRange(wal.FirstIndex, 2, 31);
            Assert.Equal(-1, wal.TermAt(wal.FirstIndex - 2));
            await wal.CompactAsync(long.MaxValue);
            Assert.Single(dir.Segments());
        }
        using var reopened = dir.Open(segmentBytes: 1024);
        Assert.Equal(61, reopened.LastIndex);
        Assert.Equal(3000, reopened.Read(61).Payload.Length);
    }

    [Fact]
    public async Task ResetAfterSnapshot()
    {
        using var dir = new WalDir();
        using (var wal = dir.Open())
        {
            await AppendRange(wal, 1, 10, 1);
            wal.ResetAfterSnapshot(100, 5);
            Assert.Equal((101L, 100L), (wal.FirstIndex, wal.LastIndex));
            Assert.Equal(5, wal.TermAt(100));
            Assert.Equal(101, wal.Append(6, WalDir.Payload(101), false, null));
            await wal.WaitDurableAsync(101);
            Assert.Equal(2, wal.SegmentCount); // the reset starts a segment of its own, so compaction drops the old one whole
            await wal.CompactAsync(100);
            Assert.Equal(1, wal.SegmentCount);
        }
        using var reopened = dir.Open();
        Assert.Equal((101L, 101L), (reopened.FirstIndex, reopened.LastIndex));
        Assert.Equal(5, reopened.TermAt(100));
        Assert.Equal(-1, reopened.TermAt(10));
        Assert.Equal(WalDir.Payload(101), reopened.Read(101).Payload.ToArray());
    }

    [Fact]
    public async Task ConcurrentAppendersSeeTheirIndexDurableInOrder()
    {
        using var dir = new WalDir();
        using var wal = dir.Open(segmentBytes: 1 << 20);
        long seen = 0;
        wal.Durable += d =>
        {
            Assert.True(d >= Volatile.Read(ref seen));
            Volatile.Write(ref seen, d);
        };
        var tasks = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            for (int i = 0; i < 20; i++)
            {
                long index = wal.Append(1, new byte[100], false, null);
                await wal.WaitDurableAsync(index);
                Assert.True(wal.DurableIndex >= index);
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        Assert.Equal(320, wal.DurableIndex);
        Assert.True(wal.Syncs <= 320);
    }
}
