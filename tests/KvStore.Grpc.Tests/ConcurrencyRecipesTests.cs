using Google.Protobuf;

namespace KvStore.Grpc.Tests;

/// <summary>The key layout of clientv3/concurrency, which etcdctl's lock and elect share with the services.</summary>
public class ConcurrencyRecipesTests
{
    [Theory]
    [InlineData("mylock", 0x694d77aa9e38260fL, "mylock/694d77aa9e38260f")]
    [InlineData("", 0xabcL, "/abc")]
    [InlineData("e", -1L, "e/-1")] // Go's %x of an int64
    [InlineData("e", long.MinValue, "e/-8000000000000000")]
    public void SessionKey_IsThePrefixAndTheLeaseInHex(string name, long lease, string key) =>
        Assert.Equal(key, ConcurrencyRecipes.SessionKey(ConcurrencyRecipes.Prefix(ByteString.CopyFromUtf8(name)), lease).ToStringUtf8());

    [Theory]
    [InlineData(new byte[] { 0x61, 0x2f }, new byte[] { 0x61, 0x30 })]
    [InlineData(new byte[] { 0x61, 0xff }, new byte[] { 0x62 })]
    [InlineData(new byte[] { 0xff, 0xff }, new byte[] { 0x00 })]
    public void PrefixEnd_IsClientv3s(byte[] prefix, byte[] end) =>
        Assert.Equal(end, ConcurrencyRecipes.PrefixEnd(ByteString.CopyFrom(prefix)).ToByteArray());
}
