namespace KvStore.ApiServer.Patching;

/// <summary>
/// A patch that cannot be applied (malformed, a failed json-patch test, a bad directive). Http answers it with
/// kube-apiserver's status: 422 Unprocessable (Invalid) for a patch that does not apply, 400 BadRequest for one
/// that does not parse.
/// </summary>
public sealed class PatchException(string message, bool badRequest = false) : Exception(message)
{
    /// <summary>True when the patch document itself is malformed (400), false when it does not apply (422).</summary>
    public bool BadRequest { get; } = badRequest;
}
