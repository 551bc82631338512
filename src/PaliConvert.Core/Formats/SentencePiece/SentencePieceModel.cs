using Google.Protobuf;
using PaliConvert.Formats.SentencePiece.Proto;
using PaliConvert.Tensors;
using PieceType = PaliConvert.Formats.SentencePiece.Proto.ModelProto.Types.SentencePiece.Types.Type;

namespace PaliConvert.Formats.SentencePiece;

/// <summary>One piece of a SentencePiece vocabulary: its text, score and kind.</summary>
public sealed record Piece(string Text, float Score, PieceType Type);

/// <summary>
/// A SentencePiece .model (the protobuf sentencepiece writes), read and checked: the pieces in id order and the
/// settings that decide how text becomes pieces.
/// </summary>
public sealed record SentencePieceModel(string Path, IReadOnlyList<Piece> Pieces, ModelProto Proto)
{
    public TrainerSpec Trainer => Proto.TrainerSpec ?? new TrainerSpec();
    public NormalizerSpec Normalizer => Proto.NormalizerSpec ?? new NormalizerSpec();
    public bool ByteFallback => Trainer.ByteFallback;

    public static SentencePieceModel Read(string path)
    {
        ModelProto proto;
        try { proto = ModelProto.Parser.ParseFrom(RegularFile.ReadAllBytes(path)); }
        catch (InvalidProtocolBufferException e) { throw new BadInputException(path, $"{path}: not a SentencePiece model: {e.Message}"); }
        if (proto.Pieces.Count == 0) throw new BadInputException(path, $"{path}: not a SentencePiece model (no pieces)");
        var pieces = proto.Pieces.Select(p => new Piece(p.Piece, p.Score, p.Type)).ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in pieces)
            if (!seen.Add(p.Text)) throw new BadInputException(path, $"{path}: piece '{p.Text}' is listed twice");
        return new SentencePieceModel(path, pieces, proto);
    }

    /// <summary>The id of a special piece, checked to exist when the model says it does.</summary>
    public int Id(int id, string what) =>
        id >= 0 && id < Pieces.Count ? id
            : throw new BadInputException(Path, $"{Path}: the {what} id {id} is outside the {Pieces.Count} pieces");
}
