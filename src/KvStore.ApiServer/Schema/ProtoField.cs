namespace KvStore.ApiServer.Schema;

/// <summary>
/// One field of a Kubernetes protobuf message (k8s.io/api's generated.proto): its number and the JSON property it
/// carries. <paramref name="Pointer"/>: a Go pointer, on the wire only when set and kept when zero; otherwise gogo
/// writes the field even when zero and JSON omits a zero unless <paramref name="Always"/> (no omitempty).
/// <paramref name="Inline"/>: <paramref name="Name"/> is the definition of a struct whose fields JSON inlines into
/// the parent and the wire nests under <paramref name="Number"/> (VolumeSource in Volume, ProbeHandler in Probe).
/// </summary>
public sealed record ProtoField(int Number, string Name, bool Pointer, bool Always, bool Inline);
