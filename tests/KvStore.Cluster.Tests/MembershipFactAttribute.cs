namespace KvStore.Cluster.Tests;

/// <summary>
/// A fact that needs membership changes in the server (etcd's MemberAdd/MemberRemove: IEtcdServer.AddMemberAsync);
/// skipped, saying why, on a build whose server answers them "not capable".
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class MembershipFactAttribute : FactAttribute
{
    public MembershipFactAttribute()
    {
        if (Type.GetType("KvStore.Server.IEtcdServer, KvStore.Server")?.GetMethod("AddMemberAsync") is null)
        {
            Skip = "this server build has no membership changes (Cluster.MemberAdd answers 'not capable'); the member branch adds them";
        }
    }
}
