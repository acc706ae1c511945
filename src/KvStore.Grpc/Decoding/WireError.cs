namespace KvStore.Grpc.Decoding;

/// <summary>Why gogo protobuf's generated Unmarshal (v1.3.2, as etcd 3.5 is built) refuses a message.</summary>
public enum WireError
{
    None = 0,
    /// <summary>io.ErrUnexpectedEOF: a tag, varint or length runs past the end.</summary>
    UnexpectedEof,
    /// <summary>ErrIntOverflowRpc: a varint longer than ten bytes.</summary>
    IntegerOverflow,
    /// <summary>ErrInvalidLengthRpc for a length that is negative as a Go int.</summary>
    NegativeLength,
    /// <summary>
    /// ErrInvalidLengthRpc for a length whose end overflows the index: checks gogo 1.3.2 added (CVE-2021-3121). etcd
    /// 3.4's code (older gogo) indexes out of range on these and panics.
    /// </summary>
    IndexOverflow,
    /// <summary>"wiretype end group for non-group": an end-group tag where a field starts.</summary>
    EndGroupForNonGroup,
    /// <summary>"illegal tag": a field number of zero or less.</summary>
    IllegalTag,
    /// <summary>"wrong wireType": a known field in the wrong encoding.</summary>
    WrongWireType,
    /// <summary>"illegal wireType": wire type 6 or 7 in an unknown field.</summary>
    IllegalWireType,
    /// <summary>ErrUnexpectedEndOfGroup: an end-group tag with no group open.</summary>
    UnexpectedEndOfGroup,
    /// <summary>
    /// Nested deeper than <see cref="GogoUnmarshal.MaxDepth"/> (a txn in a txn ... about 50 deep): Go has no limit, but
    /// kvstore's parser, Raft entries and recursion are sized for this depth.
    /// </summary>
    TooDeep,
}

/// <summary>The check's answer: <see cref="WireError.None"/>, or the error and gogo's text for it.</summary>
public readonly record struct WireVerdict(WireError Error, string Message)
{
    public static readonly WireVerdict Ok = new(WireError.None, "");

    public bool IsOk => Error == WireError.None;
}
