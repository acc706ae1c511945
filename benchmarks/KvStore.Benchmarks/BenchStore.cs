using System.Text;
using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;
using KvStore.Server.Apply;
using KvStore.Storage;

namespace KvStore.Benchmarks;

/// <summary>
/// What every suite shares: a fresh store folder under the temp folder (deleted on <see cref="Delete"/>),
/// 256-byte values (etcd's benchmark default value size) and helpers to pre-load keys.
/// </summary>
public static class BenchStore
{
    public const int ValueSize = 256;

    /// <summary>A 256-byte value wrapped without copying; the engine never changes a request's bytes.</summary>
    public static readonly ByteString Value = UnsafeByteOperations.UnsafeWrap(MakeValue(ValueSize));

    public static string NewDirectory(string suite)
    {
        string dir = Path.Combine(Path.GetTempPath(), "kvstore-bench", suite + "-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static void Delete(string? dir)
    {
        if (dir is null) return;
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }

    public static ByteString Key(string key) => ByteString.CopyFrom(Encoding.UTF8.GetBytes(key));

    /// <summary>Keys "{prefix}{i:D6}" for i in [0, count).</summary>
    public static ByteString[] Keys(string prefix, int count)
    {
        var keys = new ByteString[count];
        for (int i = 0; i < count; i++) keys[i] = Key(prefix + i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture));
        return keys;
    }

    /// <summary>Puts every key once with the 256-byte value; returns the revision of the last put.</summary>
    public static long Load(MvccStore store, IEnumerable<ByteString> keys)
    {
        long rev = 0;
        foreach (ByteString key in keys) rev = KvApplier.Put(store, new PutRequest { Key = key, Value = Value }).Value.Header.Revision;
        return rev;
    }

    /// <summary>The exclusive range end of a prefix (etcd's clientv3.GetPrefixRangeEnd).</summary>
    public static ByteString PrefixEnd(ByteString prefix)
    {
        byte[] end = prefix.ToByteArray();
        for (int i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] < 0xff)
            {
                end[i]++;
                return ByteString.CopyFrom(end.AsSpan(0, i + 1));
            }
        }
        return ByteString.CopyFrom(0); // every key >= prefix
    }

    private static byte[] MakeValue(int size)
    {
        var value = new byte[size];
        for (int i = 0; i < size; i++) value[i] = (byte)('a' + (i % 26));
        return value;
    }

    /// <summary>Store options with FASTER sized for the given log memory and hash index.</summary>
    public static MvccOptions Options(string dir, int memorySizeBits = 26, long indexBuckets = 1L << 18) => new()
    {
        Directory = dir,
        Storage = new StorageOptions
        {
            Directory = Path.Combine(dir, "engine"),
            MemorySizeBits = memorySizeBits,
            IndexBuckets = indexBuckets,
        },
    };
}
