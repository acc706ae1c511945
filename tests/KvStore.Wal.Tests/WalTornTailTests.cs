namespace KvStore.Wal.Tests;

/// <summary>The torn-tail rule: a bad record in the last batch of the last segment is truncated; elsewhere the log refuses.</summary>
public sealed class WalTornTailTests
{
    /// <summary>
    /// Writes batches 1..3 (entries 1-3, 4-6, 7-9; the last one's payloads padded to <paramref name="lastBytes"/>) and
    /// returns the last batch's [start, end) in the segment.
    /// </summary>
    private static async Task<(long Start, long End)> ThreeBatches(WalDir dir, int lastBytes = 0)
    {
        using var wal = dir.Open();
        long start = 0;
        for (int b = 0; b < 3; b++)
        {
            start = wal.TailOffset;
            var payloads = Enumerable.Range((b * 3) + 1, 3).Select(i => (ReadOnlyMemory<byte>)Payload(i, b == 2 ? lastBytes : 0)).ToList();
            await wal.WaitDurableAsync(wal.AppendMany(1, payloads));
        }
        return (start, wal.TailOffset);
    }

    private static byte[] Payload(long index, int bytes)
    {
        byte[] payload = WalDir.Payload(index);
        return bytes <= payload.Length ? payload : [.. payload, .. Enumerable.Repeat((byte)'p', bytes - payload.Length)];
    }

    private static async Task AssertSurvivors(WalDir dir, long last)
    {
        using var wal = dir.Open();
        Assert.Equal(last, wal.LastIndex);
        for (long i = 1; i <= last; i++) Assert.Equal(WalDir.Payload(i), wal.Read(i).Payload.ToArray());
        Assert.Equal(last, wal.DurableIndex);
        long next = wal.Append(2, WalDir.Payload(last + 1), false, null);
        await wal.WaitDurableAsync(next);
        Assert.Equal(last + 1, next);
    }

    [Fact]
    public async Task TornAtEveryByteOfTheLastBatch()
    {
        using var dir = new WalDir();
        var (start, end) = await ThreeBatches(dir);
        string segment = dir.Segments().Single();
        byte[] original = File.ReadAllBytes(segment);
        // Cuts inside the last record's zero padding change no byte: the batch is whole there.
        long dataEnd = start + original.AsSpan((int)start, (int)(end - start)).LastIndexOfAnyExcept((byte)0) + 1;
        for (long cut = start; cut < dataEnd; cut++)
        {
            byte[] torn = (byte[])original.Clone();
            Array.Clear(torn, (int)cut, torn.Length - (int)cut);
            File.WriteAllBytes(segment, torn);
            await AssertSurvivors(dir, 6);
        }
    }

    [Fact]
    public async Task ZeroedSectorInTheLastBatch()
    {
        using var dir = new WalDir();
        var (start, end) = await ThreeBatches(dir, lastBytes: 400);
        Assert.True(end - start > 1024);
        string segment = dir.Segments().Single();
        byte[] bytes = File.ReadAllBytes(segment);
        Array.Clear(bytes, (int)((start + 512) & ~511), 512);
        File.WriteAllBytes(segment, bytes);
        await AssertSurvivors(dir, 6);
        Assert.True(dir.Logger.Warnings >= 1);
    }

    /// <summary>Offsets of the record fields: length 0, crc 4, type 8, index 16, term 24, payload (one byte in) 33.</summary>
    public static TheoryData<int> RecordFields => [0, 4, 8, 16, 24, 33];

    [Theory]
    [MemberData(nameof(RecordFields))]
    public async Task BitFlipInTheLastBatchIsTruncated(int field)
    {
        using var dir = new WalDir();
        var (start, _) = await ThreeBatches(dir);
        Flip(dir.Segments().Single(), start + 40 + field);
        await AssertSurvivors(dir, 6);
        Assert.Equal(1, dir.Logger.Warnings);
    }

    [Theory]
    [MemberData(nameof(RecordFields))]
    public async Task BitFlipInAnEarlierBatchIsRefused(int field)
    {
        using var dir = new WalDir();
        await ThreeBatches(dir);
        long firstRecord = 48 + 40;
        Flip(dir.Segments().Single(), firstRecord + field);
        var e = Assert.Throws<WalCorruptException>(() => dir.Open());
        Assert.Equal(Path.GetFileName(dir.Segments().Single()), e.Segment);
        Assert.Equal(firstRecord, e.Offset);
        Assert.Contains("at offset 88", e.Message, StringComparison.Ordinal);
    }

    private static void Flip(string path, long offset)
    {
        byte[] bytes = File.ReadAllBytes(path);
        bytes[offset] ^= 0x10;
        File.WriteAllBytes(path, bytes);
    }
}
