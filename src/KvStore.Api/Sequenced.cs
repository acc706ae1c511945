namespace Kvstorepb;

/// <summary>
/// A peer message (forward.proto) numbered so that its answer, which may come out of order on a stream, finds it: the
/// server's PeerStream matches answers to questions by <see cref="Seq"/>.
/// </summary>
public interface ISequenced
{
    ulong Seq { get; set; }
}

public sealed partial class ConfirmLeaderRequest : ISequenced;

public sealed partial class ConfirmLeaderResponse : ISequenced;

public sealed partial class ReadIndexRequest : ISequenced;

public sealed partial class ReadIndexResponse : ISequenced;
