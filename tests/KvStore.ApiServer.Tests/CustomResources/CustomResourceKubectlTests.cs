using System.Text.Json.Nodes;
using KvStore.ApiServer.Tests.Http;
using static KvStore.ApiServer.Tests.CustomResources.CrdManifests;

namespace KvStore.ApiServer.Tests.CustomResources;

/// <summary>
/// CustomResourceDefinitions with the real kubectl 1.32 (fresh HOME) against a kvstore member serving the facade: a CRD
/// is established and its custom resources are served at once, with kube's validation messages, defaults, pruning,
/// printer columns, status and scale, patches, server-side apply, explain, watch, and deletion. Each test its own group.
/// </summary>
public sealed class CustomResourceKubectlTests(MemberFixture member) : IClassFixture<MemberFixture>, IDisposable
{
    private readonly Kubectl _kubectl = new(member.Url);

    public void Dispose() => _kubectl.Dispose();

    private void Namespace(string name) => _kubectl.Ok("apply -f -", $"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n");

    [Fact]
    public void ACronTabIsServedOnceEstablishedWithItsColumnsDefaultsAndValidation()
    {
        const string group = "stable.one.example.com";
        Assert.Contains($"customresourcedefinition.apiextensions.k8s.io/crontabs.{group} created", _kubectl.Ok("apply -f -", CronTab(group, "ct1")));
        Assert.Equal("True True NoConflicts CronTab v1", _kubectl.OkArgs("get", "crd", $"crontabs.{group}", "-o",
            "jsonpath={.status.conditions[?(@.type==\"NamesAccepted\")].status} {.status.conditions[?(@.type==\"Established\")].status} " +
            "{.status.conditions[0].reason} {.status.acceptedNames.kind} {.status.storedVersions[0]}"));
        Assert.Matches($@"(?m)^NAME +CREATED AT\ncrontabs\.{group.Replace(".", "\\.", StringComparison.Ordinal)} +\d{{4}}-", _kubectl.Ok($"get crd crontabs.{group}"));
        Namespace("cron-one");

        // unknown fields: refused by kubectl's default strict validation, pruned when validation is off
        var strict = _kubectl.FailsWithInput(CronTabObject(group, "nightly", "cron-one", "{cronSpec: '0 0 * * *', image: busybox, foo: bar}"), "apply", "-f", "-");
        Assert.Contains("Error from server (BadRequest): error when creating \"STDIN\": CronTab in version \"v1\" cannot be handled as a CronTab: strict decoding error: unknown field \"spec.foo\"", strict);
        var (warned, _, warning) = _kubectl.Run(["apply", "--validate=warn", "-f", "-"], CronTabObject(group, "warned", "cron-one", "{cronSpec: '0 0 * * *', bar: 1}"));
        Assert.Equal(0, warned);
        Assert.Contains("Warning: unknown field \"spec.bar\"", warning);
        Assert.Null(JsonNode.Parse(_kubectl.Ok("get ct1 warned -n cron-one -o json"))!["spec"]!["bar"]);
        Assert.Contains($"crontab.{group}/nightly created", _kubectl.OkWithInput(
            CronTabObject(group, "nightly", "cron-one", "{cronSpec: '0 0 * * *', image: busybox, foo: bar, extra: {any: [1, 2]}}"), "apply", "--validate=false", "-f", "-"));
        var stored = JsonNode.Parse(_kubectl.Ok("get ct1 nightly -n cron-one -o json"))!;
        Assert.Null(stored["spec"]!["foo"]);
        Assert.Equal(1, (int)stored["spec"]!["replicas"]!); // the schema's default
        Assert.Equal("[1,2]", stored["spec"]!["extra"]!["any"]!.ToJsonString()); // x-kubernetes-preserve-unknown-fields
        Assert.Equal(1, (int)stored["metadata"]!["generation"]!);

        Assert.Matches(@"(?m)^NAME +SPEC +REPLICAS +AGE\nnightly +0 0 \* \* \* +1 +\d+s$", _kubectl.Ok($"get crontabs.{group} nightly -n cron-one"));
        Assert.Matches(@"(?m)^NAME +SPEC +REPLICAS +IMAGE +AGE\nnightly +0 0 \* \* \* +1 +busybox +\d+s$", _kubectl.Ok("get ct1 nightly -n cron-one -o wide"));
        Assert.Matches($@"(?m)^crontab\.{group.Replace(".", "\\.", StringComparison.Ordinal)}/nightly +0 0 \* \* \* +1 +\d+s$", _kubectl.Ok("get all -n cron-one"));

        var invalid = _kubectl.FailsWithInput(CronTabObject(group, "bad", "cron-one", "{cronSpec: nope, replicas: 20, image: 5}"), "apply", "-f", "-");
        Assert.Contains("The CronTab \"bad\" is invalid: \n" +
            "* spec.cronSpec: Invalid value: \"nope\": spec.cronSpec in body should match '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'\n" +
            "* spec.image: Invalid value: \"integer\": spec.image in body must be of type string: \"integer\"\n" +
            "* spec.replicas: Invalid value: 20: spec.replicas in body should be less than or equal to 10", invalid);
        invalid = _kubectl.FailsWithInput(CronTabObject(group, "bad", "cron-one", "{replicas: three}"), "apply", "-f", "-");
        Assert.Contains("* spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"\n* spec.cronSpec: Required value", invalid);
        Assert.Contains("Error from server (NotFound): crontabs." + group + " \"bad\" not found", _kubectl.Fails("get ct1 bad -n cron-one"));
    }

    [Fact]
    public void StatusScalePatchesExplainAndWatchOfACustomResource()
    {
        const string group = "stable.two.example.com";
        _kubectl.Ok("apply -f -", CronTab(group, "ct2"));
        Namespace("cron-two");
        _kubectl.Ok("apply -f -", CronTabObject(group, "hourly", "cron-two", "{cronSpec: '0 * * * *', image: busybox}"));
        using var watch = _kubectl.Start("get ct2 -n cron-two -w");
        Assert.True(watch.WaitFor("hourly", TimeSpan.FromSeconds(60)), watch.Output);

        Assert.Contains($"crontab.{group}/hourly scaled", _kubectl.Ok("scale ct2 hourly -n cron-two --replicas=3"));
        Assert.Equal("3 2", _kubectl.OkArgs("get", "ct2", "hourly", "-n", "cron-two", "-o", "jsonpath={.spec.replicas} {.metadata.generation}"));
        _kubectl.OkArgs("patch", "ct2", "hourly", "-n", "cron-two", "--subresource=status", "--type=merge", "-p", "{\"status\":{\"replicas\":2,\"labelSelector\":\"app=cron\"}}");
        var scale = JsonNode.Parse(_kubectl.OkArgs("get", "--raw", $"/apis/{group}/v1/namespaces/cron-two/crontabs/hourly/scale"))!;
        Assert.Equal("""{"replicas":3}""", scale["spec"]!.ToJsonString());
        Assert.Equal("""{"replicas":2,"selector":"app=cron"}""", scale["status"]!.ToJsonString());
        // the main resource does not change status (the status subresource is served), nor bump generation for it
        _kubectl.OkArgs("patch", "ct2", "hourly", "-n", "cron-two", "--type=merge", "-p", "{\"status\":{\"replicas\":9}}");
        Assert.Equal("2 2", _kubectl.OkArgs("get", "ct2", "hourly", "-n", "cron-two", "-o", "jsonpath={.status.replicas} {.metadata.generation}"));

        Assert.Contains("error: application/strategic-merge-patch+json is not supported by " + group + "/v1, Kind=CronTab: the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
            _kubectl.FailsWithInput(null, "patch", "ct2", "hourly", "-n", "cron-two", "-p", "{\"spec\":{\"image\":\"nginx\"}}"));
        _kubectl.OkArgs("patch", "ct2", "hourly", "-n", "cron-two", "--type=json", "-p", "[{\"op\":\"replace\",\"path\":\"/spec/image\",\"value\":\"nginx\"}]");
        Assert.Equal("nginx 3", _kubectl.OkArgs("get", "ct2", "hourly", "-n", "cron-two", "-o", "jsonpath={.spec.image} {.metadata.generation}"));
        Assert.True(watch.WaitFor("hourly   0 * * * *   3", TimeSpan.FromSeconds(60)), watch.Output);

        var explain = _kubectl.Ok("explain ct2");
        Assert.Contains($"GROUP:      {group}\nKIND:       CronTab\nVERSION:    v1", explain);
        Assert.Contains("CronTab runs an image on a schedule.", explain);
        Assert.Matches(@"spec\t<Object>\n +The schedule and what to run\.", explain);
        Assert.Contains("cronSpec\t<string> -required-\n    When to run, in cron format.", _kubectl.Ok("explain ct2.spec"));
    }

    [Fact]
    public void DeletingTheCrdTerminatesItUntilItsObjectsAreGone()
    {
        const string group = "stable.three.example.com";
        _kubectl.Ok("apply -f -", CronTab(group, "ct3"));
        Namespace("cron-three-a");
        Namespace("cron-three-b");
        _kubectl.Ok("apply -f -", CronTabObject(group, "a", "cron-three-a", "{cronSpec: '* * * * *'}") + "---\n" +
            CronTabObject(group, "b", "cron-three-b", "{cronSpec: '* * * * *'}").Replace("labels:", "finalizers: [example.com/hold], labels:", StringComparison.Ordinal));
        Assert.Equal(
            [$"/registry/{group}/crontabs/cron-three-a/a", $"/registry/{group}/crontabs/cron-three-b/b"],
            Keys($"/registry/{group}/"));
        Assert.Equal(2, _kubectl.Ok("get ct3 -A -l team").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1);
        Assert.Equal("b", _kubectl.Ok("get ct3 -A -l team=b -o name").Trim().Split('/')[1]);
        using var watch = _kubectl.Start("get ct3 -A -w");
        Assert.True(watch.WaitFor("cron-three-b", TimeSpan.FromSeconds(60)), watch.Output);

        // Terminating with kube's finalizer while an object's own finalizer holds it; its resource takes no new objects
        Assert.Contains($"customresourcedefinition.apiextensions.k8s.io \"crontabs.{group}\" deleted", _kubectl.Ok($"delete crd crontabs.{group} --wait=false"));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Keys($"/registry/{group}/").Count > 1 && DateTime.UtcNow < deadline) Thread.Sleep(100);
        Assert.Equal([$"/registry/{group}/crontabs/cron-three-b/b"], Keys($"/registry/{group}/"));
        Assert.Equal("customresourcecleanup.apiextensions.k8s.io True InstanceDeletionInProgress CustomResource deletion is in progress", _kubectl.OkArgs("get", "crd", $"crontabs.{group}", "-o",
            "jsonpath={.metadata.finalizers[0]} {.status.conditions[?(@.type==\"Terminating\")].status} {.status.conditions[?(@.type==\"Terminating\")].reason} {.status.conditions[?(@.type==\"Terminating\")].message}"));
        Assert.NotEmpty(_kubectl.OkArgs("get", "ct3", "b", "-n", "cron-three-b", "-o", "jsonpath={.metadata.deletionTimestamp}"));
        Assert.Contains("Error from server (MethodNotAllowed): error when creating \"STDIN\": create not allowed while custom resource definition is terminating",
            _kubectl.FailsWithInput(CronTabObject(group, "c", "cron-three-a", "{cronSpec: '* * * * *'}"), "apply", "-f", "-"));

        // the last object's finalizer goes: so do the object, the CRD, its resources and its watch cache (watches end)
        _kubectl.OkArgs("patch", "ct3", "b", "-n", "cron-three-b", "--type=merge", "-p", "{\"metadata\":{\"finalizers\":null}}");
        _kubectl.Ok($"wait --for=delete crd/crontabs.{group} --timeout=60s");
        Assert.Empty(Keys($"/registry/{group}/"));
        Assert.True(watch.WaitForExit(TimeSpan.FromSeconds(30)), watch.Output);
        Assert.Contains("Error from server (NotFound): the server could not find the requested resource", _kubectl.FailsWithInput(null, "get", "--raw", $"/apis/{group}/v1"));
        Assert.DoesNotContain(group, _kubectl.OkArgs("get", "--raw", "/apis"));
        Assert.Contains($"Error from server (NotFound): customresourcedefinitions.apiextensions.k8s.io \"crontabs.{group}\" not found", _kubectl.Fails($"get crd crontabs.{group}"));
    }

    [Fact]
    public void ACrdThatWasNeverEstablishedIsDeletedAtOnce()
    {
        const string group = "stable.seven.example.com";
        _kubectl.Ok("apply -f -", CronTab(group, "ct7"));
        // a second CRD asking for the plural the first holds is never established
        _kubectl.Ok("apply -f -", CronTab(group, "ct7b").Replace($"name: crontabs.{group}", $"name: crontab.{group}", StringComparison.Ordinal)
            .Replace("plural: crontabs", "plural: crontab", StringComparison.Ordinal).Replace("kind: CronTab", "kind: OtherTab", StringComparison.Ordinal));
        Assert.Contains($"customresourcedefinition.apiextensions.k8s.io \"crontab.{group}\" deleted", _kubectl.Ok($"delete crd crontab.{group} --timeout=60s"));
        _kubectl.Ok($"delete crd crontabs.{group} --timeout=60s");
        Assert.Empty(Keys($"/registry/apiextensions.k8s.io/customresourcedefinitions/crontab.{group}"));
        Assert.Empty(Keys($"/registry/apiextensions.k8s.io/customresourcedefinitions/crontabs.{group}"));
    }

    [Fact]
    public void VersionsShareOneStorageVersionAndApplyPrunesDefaultsAndValidates()
    {
        const string group = "widgets.four.example.com";
        _kubectl.Ok("apply -f -", Widget(group));
        // written at v1beta1 (unknown spec fields kept there), stored at v1, served at both
        _kubectl.Ok("apply -f -", $"apiVersion: {group}/v1beta1\nkind: Widget\nmetadata: {{name: old, labels: {{tier: a}}}}\nspec: {{size: 2, anything: {{goes: here}}}}\n");
        Assert.Equal($"{group}/v1 2 here", _kubectl.OkArgs("get", $"widgets.v1.{group}", "old", "-o", "jsonpath={.apiVersion} {.spec.size} {.spec.anything.goes}"));
        Assert.Equal($"{group}/v1beta1", _kubectl.OkArgs("get", $"widgets.v1beta1.{group}", "old", "-o", "jsonpath={.apiVersion}"));
        var (code, value, error) = Etcdctl.Run(member.ClientUrl, ["get", $"/registry/{group}/widgets/old", "--print-value-only"]);
        Assert.True(code == 0, error);
        Assert.Equal($"{group}/v1", (string)JsonNode.Parse(value)!["apiVersion"]!);

        // server-side apply at v1: the default fills size, conflicts are reported as for built-in kinds
        Assert.Contains($"widget.{group}/new serverside-applied", _kubectl.OkWithInput(
            $"apiVersion: {group}/v1\nkind: Widget\nmetadata: {{name: new, labels: {{tier: b}}}}\nspec: {{color: red, tags: [a, b]}}\n", "apply", "--server-side", "-f", "-"));
        Assert.Equal("3 red", _kubectl.OkArgs("get", "wdg", "new", "-o", "jsonpath={.spec.size} {.spec.color}"));
        Assert.Contains("conflict with \"kubectl\": .spec.color", _kubectl.FailsWithInput(
            $"apiVersion: {group}/v1\nkind: Widget\nmetadata: {{name: new}}\nspec: {{color: blue}}\n", "apply", "--server-side", "--field-manager=other", "-f", "-"));
        Assert.Equal("new", _kubectl.Ok("get wdg -l tier=b -o name").Trim().Split('/')[1]);

        var invalid = _kubectl.FailsWithInput($"apiVersion: {group}/v1\nkind: Widget\nmetadata: {{name: bad}}\nspec: {{color: green, tags: [a, a]}}\n", "apply", "-f", "-");
        Assert.Contains("The Widget \"bad\" is invalid: \n* spec.color: Unsupported value: \"green\": supported values: \"red\", \"blue\"\n* spec.tags[1]: Duplicate value: \"a\"", invalid);
        Assert.Contains("Error from server (BadRequest): error when creating \"STDIN\": Widget in version \"v1\" cannot be handled as a Widget: strict decoding error: unknown field \"spec.anything\"",
            _kubectl.FailsWithInput($"apiVersion: {group}/v1\nkind: Widget\nmetadata: {{name: strict}}\nspec: {{anything: 1}}\n", "apply", "-f", "-"));
    }

    [Fact]
    public void InvalidCrdsAndNameConflictsAreReportedAsKubeDoes()
    {
        const string group = "bad.five.example.com";
        var noSchema = $$"""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: things.other.example.com}
            spec:
              group: {{group}}
              scope: Galactic
              names: {plural: things, kind: Thing}
              versions:
              - {name: v1, served: true, storage: true}
              - name: v2
                served: true
                storage: true
                schema:
                  openAPIV3Schema:
                    type: object
                    properties:
                      spec:
                        properties:
                          size: {type: integer}
            """;
        var error = _kubectl.FailsWithInput(noSchema, "apply", "-f", "-");
        Assert.Contains("The CustomResourceDefinition \"things.other.example.com\" is invalid: \n", error);
        Assert.Contains("* metadata.name: Invalid value: \"things.other.example.com\": must be spec.names.plural+\".\"+spec.group\n", error);
        Assert.Contains("* spec.scope: Unsupported value: \"Galactic\": supported values: \"Cluster\", \"Namespaced\"\n", error);
        Assert.Contains("* spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required\n", error);
        Assert.Contains("* spec.versions[1].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields\n", error);
        Assert.Contains("must have exactly one version marked as storage version", error);

        // a second CRD of the group asking for a name the first holds is not established
        _kubectl.Ok("apply -f -", CronTab(group, "ct5"));
        _kubectl.Ok("apply -f -", $$"""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: crontab.{{group}}
            spec:
              group: {{group}}
              scope: Namespaced
              names: {plural: crontab, kind: OtherTab}
              versions:
              - name: v1
                served: true
                storage: true
                schema:
                  openAPIV3Schema:
                    type: object
            """);
        Assert.Equal("False PluralConflict \"crontab\" is already in use False NotAccepted", _kubectl.OkArgs("get", "crd", $"crontab.{group}", "-o",
            "jsonpath={.status.conditions[0].status} {.status.conditions[0].reason} {.status.conditions[0].message} {.status.conditions[1].status} {.status.conditions[1].reason}"));
        Assert.DoesNotContain("othertab", _kubectl.OkArgs("get", "--raw", $"/apis/{group}/v1"), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void ACustomResourceNamedLikeACoreResourceIsNotTreatedAsOne()
    {
        const string group = "serving.six.example.com";
        _kubectl.Ok("apply -f -", $$"""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: services.{{group}}
            spec:
              group: {{group}}
              scope: Namespaced
              names: {plural: services, kind: Service, shortNames: [ksvc6]}
              versions:
              - name: v1
                served: true
                storage: true
                schema:
                  openAPIV3Schema:
                    type: object
                    properties:
                      spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
            """);
        _kubectl.Ok("apply -f -", $"apiVersion: {group}/v1\nkind: Service\nmetadata: {{name: hello, namespace: default}}\nspec: {{template: {{image: hello}}}}\n");
        Assert.Equal("{\"template\":{\"image\":\"hello\"}}", _kubectl.OkArgs("get", "ksvc6", "hello", "-o", "jsonpath={.spec}")); // no clusterIP, no ports defaulted
        Assert.Contains($"service.{group} \"hello\" deleted", _kubectl.Ok("delete ksvc6 hello"));
        Assert.Matches(@"(?m)^kubernetes +ClusterIP +10\.96\.0\.1 ", _kubectl.Ok("get services.v1. -n default"));
    }

    private List<string> Keys(string prefix)
    {
        var (code, output, error) = Etcdctl.Run(member.ClientUrl, ["get", "--prefix", prefix, "--keys-only"]);
        Assert.True(code == 0, error);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }
}
