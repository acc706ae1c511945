using Etcdserverpb;
using Google.Protobuf;
using KvStore.Grpc.Decoding;

namespace KvStore.Grpc.Tests;

/// <summary>
/// GogoUnmarshal against the texts etcd's gogo-generated Unmarshal returns (checked against a real etcd 3.4 by the
/// hostile-input matrix and the decoding fuzz in KvStore.Differential.Tests), one row per kind of fault.
/// </summary>
public class GogoUnmarshalTests
{
    public static TheoryData<string, string, WireError, string> Faults => new()
    {
        { "Range", "0a0561", WireError.UnexpectedEof, "unexpected EOF" },
        { "Range", "0801", WireError.WrongWireType, "proto: wrong wireType = 0 for field Key" },
        { "Range", "1201", WireError.UnexpectedEof, "unexpected EOF" },
        { "Range", "00", WireError.IllegalTag, "proto: RangeRequest: illegal tag 0 (wire type 0)" },
        { "Put", "faffffff7f", WireError.IllegalTag, "proto: PutRequest: illegal tag -1 (wire type 34359738362)" },
        { "Range", "8080808080808080808001", WireError.IntegerOverflow, "proto: integer overflow" },
        { "Range", "0c", WireError.EndGroupForNonGroup, "proto: RangeRequest: wiretype end group for non-group" },
        { "Range", "7f", WireError.IllegalWireType, "proto: illegal wireType 7" },
        { "Range", "7b0801", WireError.UnexpectedEof, "unexpected EOF" },
        { "Put", "0affffffffffffffffff01", WireError.NegativeLength, "proto: negative length found during unmarshaling" },
        { "Put", "0affffffffffffffff7f", WireError.IndexOverflow, "proto: negative length found during unmarshaling" },
        { "Range", "0a01617b0affffffffffffffff7f", WireError.IndexOverflow, "proto: negative length found during unmarshaling" },
        { "Range", "7affffffffffffffffff01", WireError.NegativeLength, "proto: negative length found during unmarshaling" },
        { "Range", "79010203", WireError.UnexpectedEof, "unexpected EOF" },
        { "Txn", "1a040a020801", WireError.WrongWireType, "proto: wrong wireType = 0 for field Key" },
        { "Txn", "12020a00" + "1a02" + "2200", WireError.None, "" },
        { "Txn", "1202" + "0000", WireError.IllegalTag, "proto: RequestOp: illegal tag 0 (wire type 0)" },
        { "Watch", "0a052a03010203", WireError.None, "" },   // packed filters
        { "Watch", "0a032801ff", WireError.UnexpectedEof, "unexpected EOF" }, // a packed-able field, one varint running out
        { "Range", "0a0161780579010203040506070879" + "0102030405060708" + "7a0100" + "7b0801" + "7c" + "7d01020304", WireError.None, "" },
        { "Range", "7b7b7c", WireError.UnexpectedEof, "unexpected EOF" },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public void Refuses_as_gogo_does(string message, string hex, WireError error, string text)
    {
        var descriptor = message switch
        {
            "Range" => RangeRequest.Descriptor,
            "Put" => PutRequest.Descriptor,
            "Txn" => TxnRequest.Descriptor,
            _ => WatchRequest.Descriptor,
        };
        WireVerdict verdict = GogoUnmarshal.Check(descriptor, Convert.FromHexString(hex));
        Assert.Equal(error, verdict.Error);
        Assert.Equal(text, verdict.Message);
    }

    [Fact]
    public void Everything_Google_Protobuf_writes_passes()
    {
        var txn = new TxnRequest
        {
            Compare = { new Compare { Key = ByteString.CopyFromUtf8("k"), Target = Compare.Types.CompareTarget.Mod, ModRevision = -3 } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8("k"), Value = ByteString.CopyFromUtf8("v"), Lease = long.MaxValue } } },
            Failure = { new RequestOp { RequestRange = new RangeRequest { Key = ByteString.CopyFromUtf8("k"), Limit = -1, SortTarget = RangeRequest.Types.SortTarget.Value } } },
        };
        Assert.True(GogoUnmarshal.Check(TxnRequest.Descriptor, txn.ToByteArray()).IsOk);
        var watch = new WatchRequest { CreateRequest = new WatchCreateRequest { Key = ByteString.CopyFromUtf8("k"), Filters = { WatchCreateRequest.Types.FilterType.Nodelete } } };
        Assert.True(GogoUnmarshal.Check(WatchRequest.Descriptor, watch.ToByteArray()).IsOk);
    }

    [Fact]
    public void A_txn_nested_past_the_depth_limit_is_too_deep()
    {
        TxnRequest Deep(int depth)
        {
            var txn = new TxnRequest();
            for (int i = 0; i < depth; i++) txn = new TxnRequest { Success = { new RequestOp { RequestTxn = txn } } };
            return txn;
        }
        Assert.True(GogoUnmarshal.Check(TxnRequest.Descriptor, Deep(GogoUnmarshal.MaxDepth / 2).ToByteArray()).IsOk);
        Assert.Equal(WireError.TooDeep, GogoUnmarshal.Check(TxnRequest.Descriptor, Deep(GogoUnmarshal.MaxDepth / 2 + 1).ToByteArray()).Error);
    }

    [Theory]
    [InlineData("key", "Key")]
    [InlineData("range_end", "RangeEnd")]
    [InlineData("ID", "ID")]
    [InlineData("TTL", "TTL")]
    [InlineData("peerURLs", "PeerURLs")]
    [InlineData("min_mod_revision", "MinModRevision")]
    [InlineData("request_delete_range", "RequestDeleteRange")]
    [InlineData("_x", "XX")]
    [InlineData("a1b", "A1B")]
    public void Go_field_names_are_protoc_gen_go_camel_case(string proto, string go) => Assert.Equal(go, GogoUnmarshal.GoName(proto));
}
