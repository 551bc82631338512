using Google.Protobuf;
using PaliConvert.Formats.SentencePiece.Proto;
using PaliConvert.Tensors;
using PieceType = PaliConvert.Formats.SentencePiece.Proto.ModelProto.Types.SentencePiece.Types.Type;

namespace PaliConvert.Formats.SentencePiece;

/// <summary>One piece of a SentencePiece vocabulary: its text, score and kind.</summary>
public sealed record Piece(string Text, float Score, PieceType Type);

/// <summary>
/// A SentencePiece .model (the protobuf sentencepiece writes), read and checked as sentencepiece's own loader checks it
/// (model_interface.cc: no empty or repeated piece, exactly one unknown piece, all 256 byte pieces under byte fallback),
/// and bounded: the pieces in id order, the settings that decide how text becomes pieces, and the file's bytes.
/// </summary>
public sealed record SentencePieceModel(string Path, IReadOnlyList<Piece> Pieces, ModelProto Proto, ReadOnlyMemory<byte> Bytes)
{
    /// <summary>The longest piece accepted, in UTF-8 bytes (Gemma's longest is 31 spaces; sentencepiece trains with 16).</summary>
    public const int MaxPieceBytes = 1024;

    /// <summary>The largest .model read (Gemma's is 4.2 MB).</summary>
    public const long MaxFileBytes = 64L << 20;

    public TrainerSpec Trainer => Proto.TrainerSpec ?? new TrainerSpec();
    public NormalizerSpec Normalizer => Proto.NormalizerSpec ?? new NormalizerSpec();
    public bool ByteFallback => Trainer.ByteFallback;

    public static SentencePieceModel Read(string path)
    {
        var bytes = RegularFile.ReadAllBytes(path, MaxFileBytes);
        ModelProto proto;
        try { proto = ModelProto.Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException e) { throw new BadInputException(path, $"{path}: not a SentencePiece model: {e.Message}"); }
        if (proto.Pieces.Count == 0) throw new BadInputException(path, $"{path}: not a SentencePiece model (no pieces)");
        var pieces = proto.Pieces.Select(p => new Piece(p.Piece, p.Score, p.Type)).ToList();
        Check(path, pieces, proto.TrainerSpec?.ByteFallback == true);
        return new SentencePieceModel(path, pieces, proto, bytes);
    }

    private static void Check(string path, List<Piece> pieces, bool byteFallback)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var bytePieces = new HashSet<string>(StringComparer.Ordinal);
        int unknowns = 0;
        for (int i = 0; i < pieces.Count; i++)
        {
            var p = pieces[i];
            if (p.Text.Length == 0) throw Bad(path, i, "is empty (sentencepiece refuses an empty piece)");
            if (System.Text.Encoding.UTF8.GetByteCount(p.Text) > MaxPieceBytes)
                throw Bad(path, i, $"is {System.Text.Encoding.UTF8.GetByteCount(p.Text):N0} bytes long, more than {MaxPieceBytes}");
            if (!seen.Add(p.Text)) throw new BadInputException(path, $"{path}: piece '{p.Text}' is listed twice", p.Text);
            if (p.Type == PieceType.Unknown && ++unknowns > 1) throw Bad(path, i, "is a second unknown piece (sentencepiece wants one)");
            if (p.Type == PieceType.Byte && !IsBytePiece(p.Text)) throw Bad(path, i, $"'{p.Text}' is a byte piece not spelt <0xXX>");
            if (p.Type == PieceType.Byte && !byteFallback)
                throw Bad(path, i, $"'{p.Text}' is a byte piece, but byte_fallback is off (sentencepiece refuses that)");
            if (p.Type == PieceType.Byte) bytePieces.Add(p.Text.ToUpperInvariant().Replace("<0X", "<0x"));
        }
        if (unknowns == 0) throw new BadInputException(path, $"{path}: has no unknown piece (sentencepiece wants exactly one)");
        if (!byteFallback) return;
        for (int b = 0; b < 256; b++)
        {
            string name = $"<0x{b:X2}>";
            if (!bytePieces.Contains(name))
                throw new BadInputException(path, $"{path}: byte_fallback is on but the byte piece {name} is missing", name);
        }
    }

    private static bool IsBytePiece(string s) => s.Length == 6 && s.StartsWith("<0x", StringComparison.Ordinal) && s[5] == '>'
        && Uri.IsHexDigit(s[3]) && Uri.IsHexDigit(s[4]);

    private static BadInputException Bad(string path, int id, string why) =>
        new(path, $"{path}: piece {id} {why}", $"piece {id}");

    /// <summary>The id of a special piece, checked to exist when the model says it does.</summary>
    public int Id(int id, string what) =>
        id >= 0 && id < Pieces.Count ? id
            : throw new BadInputException(Path, $"{Path}: the {what} id {id} is outside the {Pieces.Count} pieces");
}
