using Google.Protobuf;
using PaliConvert.Formats.SentencePiece;
using PaliConvert.Formats.SentencePiece.Proto;
using PieceType = PaliConvert.Formats.SentencePiece.Proto.ModelProto.Types.SentencePiece.Types.Type;

namespace PaliConvert.Tests.Formats.SentencePiece;

/// <summary>
/// Hostile tokenizer models, made here from one sentencepiece trained: whatever sentencepiece's own loader refuses is
/// refused too (python3-sentencepiece is the oracle), and what no tokenizer.json could hold is refused by name.
/// </summary>
public class SentencePieceModelTests
{
    private static (TempDir dir, ModelProto proto) Base(bool byteFallback = false)
    {
        var dir = new TempDir();
        string corpus = TokenizerJsonTests.Corpus(dir, asciiOnly: true);
        string model = TokenizerJsonTests.Train(dir, corpus, "base", byteFallback ? 400 : 120, byteFallback);
        return (dir, ModelProto.Parser.ParseFrom(File.ReadAllBytes(model)));
    }

    public static TheoryData<string> Mutations() => ["empty piece", "second unk", "no unk", "byte fallback without bytes", "truncated"];

    private static byte[] Mutated(ModelProto p, string how)
    {
        var m = p.Clone();
        switch (how)
        {
            case "empty piece": m.Pieces[10].Piece = ""; break;
            case "second unk": m.Pieces[10].Type = PieceType.Unknown; break;
            case "no unk": m.Pieces[3].Type = PieceType.Normal; break;
            case "byte fallback without bytes": m.TrainerSpec.ByteFallback = true; break;
        }
        var bytes = m.ToByteArray();
        return how == "truncated" ? bytes[..(bytes.Length / 2 + 1)] : bytes;
    }

    [Theory]
    [MemberData(nameof(Mutations))]
    public void WhatSentencePieceRefusesIsRefusedNamingTheFile(string how)
    {
        var (dir, proto) = Base();
        using var _ = dir;
        string path = dir.File($"{how.Replace(' ', '-')}.model");
        File.WriteAllBytes(path, Mutated(proto, how));
        Assert.StartsWith("refused", TestPaths.Python("spm_oracle.py", "load", path).Trim());
        var e = Assert.Throws<BadInputException>(() => SentencePieceModel.Read(path));
        Assert.Equal(path, e.File);
        Assert.StartsWith(path, e.Message);
    }

    [Fact]
    public void TheTrainedModelLoadsInBothAndAHugePieceOrAnImagePieceIsRefused()
    {
        var (dir, proto) = Base();
        using var _ = dir;
        string ok = dir.File("ok.model");
        File.WriteAllBytes(ok, proto.ToByteArray());
        Assert.Equal("ok", TestPaths.Python("spm_oracle.py", "load", ok).Trim());
        Assert.Equal(proto.Pieces.Count, SentencePieceModel.Read(ok).Pieces.Count);

        var huge = proto.Clone();
        huge.Pieces[20].Piece = new string('x', 200_000); // building tokenizer.json's merges from it would be quadratic
        File.WriteAllBytes(dir.File("huge.model"), huge.ToByteArray());
        var e = Assert.Throws<BadInputException>(() => SentencePieceModel.Read(dir.File("huge.model")));
        Assert.Contains("piece 20 is 200,000 bytes long", e.Message);

        var image = proto.Clone();
        image.Pieces[20].Piece = "<image>";
        File.WriteAllBytes(dir.File("image.model"), image.ToByteArray());
        var m = SentencePieceModel.Read(dir.File("image.model"));
        e = Assert.Throws<BadInputException>(() => TokenizerJson.Build(m, [("<image>", m.Pieces.Count)]));
        Assert.Contains("piece 20 is '<image>', the token the model adds", e.Message);
    }

    [Fact]
    public void ByteFallbackNeedsAllByteAndAByteModelLoads()
    {
        var (dir, proto) = Base(byteFallback: true);
        using var _ = dir;
        File.WriteAllBytes(dir.File("bytes.model"), proto.ToByteArray());
        Assert.True(SentencePieceModel.Read(dir.File("bytes.model")).ByteFallback);
        var missing = proto.Clone();
        int at = missing.Pieces.ToList().FindIndex(p => p.Piece == "<0x41>");
        missing.Pieces[at].Piece = "<0x41x";
        missing.Pieces[at].Type = PieceType.Normal;
        File.WriteAllBytes(dir.File("missing.model"), missing.ToByteArray());
        Assert.StartsWith("refused", TestPaths.Python("spm_oracle.py", "load", dir.File("missing.model")).Trim());
        var e = Assert.Throws<BadInputException>(() => SentencePieceModel.Read(dir.File("missing.model")));
        Assert.Contains("the byte piece <0x41> is missing", e.Message);
    }
}
