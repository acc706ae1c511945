using KvStore.Host;
using KvStore.Host.Flags;

// kvstore: one etcd-compatible member, configured with etcd's flags, ETCD_* variables or --config-file;
// `kvstore apiserver ...`: the apiserver facade alone over an etcd endpoint list;
// `kvstore snapshot restore|status ...`: etcdctl's snapshot commands over an etcd backend snapshot.
if (args is [ApiServerCommand.Name, ..])
{
    return await ApiServerCommand.RunAsync(args[1..]).ConfigureAwait(false);
}
if (args is [SnapshotCommand.Name, ..])
{
    return await SnapshotCommand.RunAsync(args[1..], Console.Out, Console.Error).ConfigureAwait(false);
}
switch (StartupArguments.Parse(args, Environment.GetEnvironmentVariables()))
{
    case StartupCommand.Exit exit:
        Console.Out.Write(exit.Output);
        Console.Error.Write(exit.Error);
        return exit.Code;
    case StartupCommand.Run run:
        return await KvStoreHost.RunAsync(run.Settings, run.Notes).ConfigureAwait(false);
    default:
        throw new InvalidOperationException("unexpected startup command");
}
