using System.Text.Json.Serialization;

namespace KvStore.Robustness.History;

/// <summary>A request of etcd's v3 API as the harness sends it; keys and values are UTF-8 text.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "op")]
[JsonDerivedType(typeof(RangeRequest), "range")]
[JsonDerivedType(typeof(PutRequest), "put")]
[JsonDerivedType(typeof(DeleteRequest), "delete")]
[JsonDerivedType(typeof(TxnRequest), "txn")]
[JsonDerivedType(typeof(CompactRequest), "compact")]
[JsonDerivedType(typeof(LeaseGrantRequest), "lease-grant")]
[JsonDerivedType(typeof(LeaseRevokeRequest), "lease-revoke")]
[JsonDerivedType(typeof(LeaseKeepAliveRequest), "lease-keepalive")]
public abstract record Request;

/// <summary>A get (RangeEnd null) or range; Revision 0 is the newest; Serializable reads the answering member's state.</summary>
public sealed record RangeRequest(string Key, string? RangeEnd = null, long Revision = 0, bool Serializable = false, long Limit = 0)
    : Request;

public sealed record PutRequest(string Key, string Value, long Lease = 0) : Request;

/// <summary>Deletes Key, or [Key, RangeEnd) when RangeEnd is set; prev_kv is always asked for.</summary>
public sealed record DeleteRequest(string Key, string? RangeEnd = null) : Request;

/// <summary>A transaction; its branches hold range, put and delete requests only (no nested txn).</summary>
public sealed record TxnRequest(IReadOnlyList<Compare> Compares, IReadOnlyList<Request> Success, IReadOnlyList<Request> Failure)
    : Request;

[JsonConverter(typeof(JsonStringEnumConverter<CompareTarget>))]
public enum CompareTarget { Version, Create, Mod, Value, Lease }

[JsonConverter(typeof(JsonStringEnumConverter<CompareResult>))]
public enum CompareResult { Equal, Greater, Less, NotEqual }

/// <summary>One compare of a txn on a single key: Number for version/create/mod/lease targets, Value for value.</summary>
public sealed record Compare(string Key, CompareTarget Target, CompareResult Result, long Number = 0, string? Value = null);

public sealed record CompactRequest(long Revision, bool Physical = false) : Request;

/// <summary>Id 0 lets the server choose the lease id.</summary>
public sealed record LeaseGrantRequest(long Ttl, long Id = 0) : Request;

public sealed record LeaseRevokeRequest(long Id) : Request;

/// <summary>One keep-alive round trip of a lease.</summary>
public sealed record LeaseKeepAliveRequest(long Id) : Request;
