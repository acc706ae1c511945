using System.Text;
using KvStore.TestSupport;

namespace KvStore.Storage.Tests;

/// <summary>
/// RecordStore.ReadMany and ReadManyByScan give the answers Read gives one key at a time, for records in memory and on
/// disk, deleted ones and ones written again.
/// </summary>
public sealed class RecordStoreReadManyTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static byte[] Value(long main) => Encoding.ASCII.GetBytes($"record {main}:" + new string('v', (int)(main % 300)));

    private static byte[] Again(long main) => Encoding.ASCII.GetBytes($"again {main}");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadManyMatchesRead(bool byScan)
    {
        // a 32 KB in-memory log: all but the last few hundred of these records are read from the log file
        using var store = RecordStore.Open(new StorageOptions
        {
            Directory = _dir.Path,
            IndexBuckets = 1 << 10,
            MemorySizeBits = 15,
            PageSizeBits = 12,
            SegmentSizeBits = 16,
        });
        for (long i = 1; i <= 3000; i++) store.Upsert(new Revision(i, 0), Value(i));
        for (long i = 1; i <= 3000; i += 10) store.Delete(new Revision(i, 0));
        for (long i = 5; i <= 3000; i += 100) store.Upsert(new Revision(i, 0), Again(i)); // a later record of the key wins

        // every record, some missing keys, a key asked twice, in an order unlike the log's
        var keys = new List<Revision>();
        for (long i = 3005; i >= 1; i -= 3) keys.Add(new Revision(i, 0));
        keys.Add(new Revision(7, 0));
        keys.Add(new Revision(7, 1));
        var records = new byte[]?[keys.Count];
        if (byScan)
        {
            var memory = new ReadOnlyMemory<byte>[keys.Count];
            store.ReadManyByScan(keys.ToArray(), memory);
            for (int i = 0; i < keys.Count; i++) records[i] = memory[i].IsEmpty ? null : memory[i].ToArray();
        }
        else
        {
            store.ReadMany(keys.ToArray(), records);
        }

        int found = 0;
        for (int i = 0; i < keys.Count; i++)
        {
            byte[]? one = store.Read(keys[i]);
            Assert.Equal(one, records[i]);
            long main = keys[i].Main;
            bool live = keys[i].Sub == 0 && main <= 3000 && main % 10 != 1;
            Assert.Equal(!live ? null : main % 100 == 5 ? Again(main) : Value(main), records[i]);
            if (live) found++;
        }
        Assert.True(found > 800, $"only {found} records found");
    }
}
