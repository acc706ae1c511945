using Google.Protobuf;
using Mvccpb;

namespace KvStore.Mvcc.Tests;

/// <summary>KeyValueView decodes a history record as protobuf's parser does, sharing the record's bytes.</summary>
public sealed class KeyValueViewTests
{
    public static TheoryData<KeyValue, bool> Records => new()
    {
        { new KeyValue { Key = ByteString.CopyFromUtf8("a"), CreateRevision = 2, ModRevision = 3, Version = 1, Value = ByteString.CopyFromUtf8("v") }, false },
        { new KeyValue { Key = ByteString.CopyFromUtf8("k"), ModRevision = long.MaxValue, Lease = -5 }, true },
        { new KeyValue(), false },
        { new KeyValue { Key = ByteString.CopyFrom(new byte[300]), Value = ByteString.CopyFrom(new byte[70000]), Lease = 1L << 40 }, false },
    };

    [Theory]
    [MemberData(nameof(Records))]
    public void DecodesAsTheParser(KeyValue kv, bool tombstone)
    {
        byte[] record = [tombstone ? RecordCodec.KindTombstone : RecordCodec.KindPut, .. kv.ToByteArray()];
        KeyValue parsed = RecordCodec.ReadKeyValue(record, out bool parsedTombstone);
        KeyValue viewed = KeyValueView.Decode(record, out bool viewedTombstone);
        Assert.Equal(parsed, viewed);
        Assert.Equal(kv, viewed);
        Assert.Equal(parsedTombstone, viewedTombstone);
    }

    [Theory]
    [MemberData(nameof(Records))]
    public void ReadsTheFieldsTheRebuildNeedsInPlace(KeyValue kv, bool tombstone)
    {
        byte[] record = [tombstone ? RecordCodec.KindTombstone : RecordCodec.KindPut, .. kv.ToByteArray()];
        KeyValueFields f = KeyValueView.ReadFields(record);
        Assert.Equal(tombstone, f.Tombstone);
        Assert.Equal(kv.Key.ToByteArray(), f.Key(record).ToArray());
        Assert.Equal(kv.Value.ToByteArray(), record.AsSpan(f.ValueStart, f.ValueLength).ToArray());
        Assert.Equal((kv.CreateRevision, kv.ModRevision, kv.Version, kv.Lease), (f.CreateRevision, f.ModRevision, f.Version, f.Lease));
    }

    [Fact]
    public void RejectsARecordCutShort()
    {
        var kv = new KeyValue { Key = ByteString.CopyFromUtf8("key"), Value = ByteString.CopyFromUtf8("value") };
        byte[] record = [RecordCodec.KindPut, .. kv.ToByteArray()];
        Assert.Throws<InvalidDataException>(() => KeyValueView.Decode(record[..^2], out _));
    }
}
