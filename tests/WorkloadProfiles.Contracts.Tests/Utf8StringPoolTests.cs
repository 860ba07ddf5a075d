using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using WorkloadProfiles.Contracts.Binary;

namespace WorkloadProfiles.Contracts.Tests;

public class Utf8StringPoolTests
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    [Fact]
    public void The_same_bytes_decode_to_one_shared_instance()
    {
        var pool = new Utf8StringPool();
        var first = pool.Get("/srv/www/static/file-12.css"u8, Strict);
        var second = pool.Get("/srv/www/static/file-12.css"u8.ToArray(), Strict);

        Assert.Equal("/srv/www/static/file-12.css", first);
        Assert.Same(first, second);
        Assert.Same("", pool.Get([], Strict));
    }

    [Fact]
    public void Strings_longer_than_the_bound_are_decoded_each_time()
    {
        var pool = new Utf8StringPool();
        var bytes = Encoding.UTF8.GetBytes(new string('a', Utf8StringPool.MaxBytes + 1));

        var first = pool.Get(bytes, Strict);
        var second = pool.Get(bytes, Strict);

        Assert.Equal(first, second);
        Assert.NotSame(first, second);
    }

    [Fact]
    public void Invalid_utf8_still_throws_and_leaves_the_pool_intact()
    {
        var pool = new Utf8StringPool(slots: 1);
        var valid = pool.Get("sh"u8, Strict);

        Assert.Throws<DecoderFallbackException>(() => pool.Get([0x73, 0xff], Strict));
        Assert.Same(valid, pool.Get("sh"u8, Strict));
    }

    [Property(MaxTest = 500)]
    public Property Pooled_decoding_equals_a_fresh_decode_whatever_collides() =>
        Prop.ForAll(
            Gen.Elements("", "sh", "/bin/sh", "/tmp/x", "日本語", "😀", "\0", "a", "b", "/srv/www/static/file-1.css")
                .ListOf().ToArbitrary(),
            values =>
            {
                // Two slots: most values collide with another, so every lookup also checks that a slot never answers
                // for bytes it was not decoded from.
                var pool = new Utf8StringPool(slots: 2);
                return values.All(value => pool.Get(Encoding.UTF8.GetBytes(value), Strict) == value);
            });
}
