package org.sdmodel.component;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.sdmodel.DType;
import org.sdmodel.ModelFile;
import org.sdmodel.ModelFormatException;
import org.sdmodel.Tensor;
import org.sdmodel.engine.Expr;
import org.sdmodel.engine.ModelWriter;
import org.sdmodel.engine.TensorPlan;
import org.sdmodel.inspect.Architecture;
import org.sdmodel.inspect.ArchitectureDetector;
import org.sdmodel.merge.WebUiStateDict;

/**
 * Plans for the parts of a checkpoint: a component written on its own ({@link #extract}), a VAE
 * baked in ({@link #bakeVae}), CLIP's {@code position_ids} repaired ({@link #fixClip}). Pure
 * functions of the files' keys and shapes, but for the 77 values {@code fixClip} reads to say
 * what it changes.
 *
 * <p>Extracted components get the key layout standalone files of their kind have:
 *
 * <ul>
 *   <li>VAE: as the web UI's {@code models/VAE} files (and ComfyUI's {@code VAESave}) hold it,
 *       the checkpoint's {@code first_stage_model.X} as {@code X}. The web UI pairs
 *       {@code <stem>.vae.safetensors} with the checkpoint {@code <stem>} in its folder.
 *   <li>UNet: as ComfyUI's {@code ModelSave} writes it, the {@code model.diffusion_model.*} keys
 *       unchanged.
 *   <li>Text encoders: as ComfyUI's {@code CLIPSave} writes them, one file per encoder named
 *       after ComfyUI's prefix ({@code clip_l}, {@code clip_h}, {@code clip_g}), in the
 *       {@code transformers} layout ({@code text_model.*}): CLIP ViT-L's keys without their
 *       prefix (its {@code position_ids} buffer left out, as ComfyUI's model has none), OpenCLIP's
 *       (SD 2.x ViT-H, SDXL ViT-bigG) converted as ComfyUI's {@code clip_text_transformers_convert}
 *       does: renamed, {@code in_proj} split into {@code q/k/v_proj}, {@code text_projection}
 *       transposed into {@code text_projection.weight}, {@code logit_scale} kept.
 * </ul>
 *
 * <p>SDXL's two text encoders, each in a file of its own:
 *
 * <pre>{@code
 * try (ModelFile model = ModelFile.open(Path.of("sd_xl_base_1.0.safetensors"))) {
 *     for (ComponentPlanner.Extraction e : ComponentPlanner.extract(model, ComponentType.TEXT_ENCODER)) {
 *         ModelWriter.write(e.plan(), Path.of("sdxl-" + e.name() + ".safetensors"), WriteOptions.defaults());
 *     }
 * }
 * }</pre>
 */
public final class ComponentPlanner {
    static final String FIRST_STAGE = "first_stage_model.";
    static final String UNET = "model.diffusion_model.";
    static final String CLIP = "cond_stage_model.transformer.";
    static final String OPEN_CLIP = "cond_stage_model.model.";
    static final String SDXL_CLIP = "conditioner.embedders.0.transformer.";
    static final String SDXL_BIG_G = "conditioner.embedders.1.model.";
    static final String REFINER_OPEN_CLIP = "conditioner.embedders.0.model.";
    /** OpenCLIP layers {@code transformers_convert} renames (ComfyUI passes 32). */
    static final int OPEN_CLIP_MAX_LAYERS = 32;

    private ComponentPlanner() {
    }

    /**
     * One file {@link #extract} writes: its name part ({@code vae}, {@code clip_l}) and its plan.
     *
     * @param name the file's name part ({@code vae}, {@code unet}, {@code clip_l}, {@code clip_g})
     * @param plan the tensors of that file
     * @param leftOut the model's keys this file does not take
     */
    public record Extraction(String name, TensorPlan plan, List<String> leftOut) {
        /**
         * Creates the record, copying its components.
         *
         * @param name the file's name part ({@code vae}, {@code unet}, {@code clip_l}, {@code clip_g})
         * @param plan the tensors of that file
         * @param leftOut the model's keys this file does not take
         */
        public Extraction {
            leftOut = List.copyOf(leftOut);
        }
    }

    /**
     * The plans for writing {@code type} of {@code model} on its own: one, or one per text encoder
     * (SDXL has two).
     *
     * @param model an open checkpoint
     * @param type which component
     * @return the plans, one per output file
     * @throws ComponentException if the file has no such component
     */
    public static List<Extraction> extract(ModelFile model, ComponentType type) throws ModelFormatException {
        Map<String, Tensor> tensors = WebUiStateDict.read(model);
        List<Extraction> out = new ArrayList<>();
        try {
            switch (type) {
                case VAE:
                    out.add(prefixed(model, tensors, "vae", FIRST_STAGE, "", List.of()));
                    break;
                case UNET:
                    out.add(prefixed(model, tensors, "unet", UNET, UNET, List.of()));
                    break;
                default:
                    textEncoders(model, tensors, out);
            }
        } catch (IllegalArgumentException e) { // a shape the conversion cannot take (a projection too large to transpose)
            throw new ComponentException("cannot convert its " + describe(type) + ": " + e.getMessage());
        }
        if (out.isEmpty() || out.get(0).plan().entries().isEmpty()) {
            throw new ComponentException("has no " + describe(type) + hint(tensors, type));
        }
        return out;
    }

    private static void textEncoders(ModelFile model, Map<String, Tensor> tensors, List<Extraction> out) {
        List<String> positionIds = List.of("text_model.embeddings.position_ids");
        if (hasPrefix(tensors, CLIP)) {
            out.add(prefixed(model, tensors, "clip_l", CLIP, "", positionIds));
        }
        if (hasPrefix(tensors, OPEN_CLIP)) {
            out.add(openClip(model, tensors, "clip_h", OPEN_CLIP));
        }
        if (hasPrefix(tensors, SDXL_CLIP)) {
            out.add(prefixed(model, tensors, "clip_l", SDXL_CLIP, "", positionIds));
        }
        if (hasPrefix(tensors, SDXL_BIG_G)) {
            out.add(openClip(model, tensors, "clip_g", SDXL_BIG_G));
        }
        if (hasPrefix(tensors, REFINER_OPEN_CLIP)) {
            // the refiner's ViT-bigG; an SD 2.1 Turbo's ViT-H was renamed to cond_stage_model.model. above
            out.add(openClip(model, tensors, "clip_g", REFINER_OPEN_CLIP));
        }
    }

    /**
     * The tensors under {@code prefix}, with {@code prefix} replaced by {@code replacement};
     * {@code leave} lists output names left out.
     */
    private static Extraction prefixed(ModelFile model, Map<String, Tensor> tensors, String name, String prefix,
            String replacement, List<String> leave) {
        List<TensorPlan.Entry> entries = new ArrayList<>();
        List<String> left = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                String out = replacement + e.getKey().substring(prefix.length());
                if (leave.contains(out)) {
                    left.add(e.getKey());
                } else {
                    entries.add(new TensorPlan.Entry(out, Expr.source(e.getKey(), e.getValue())));
                }
            }
        }
        return new Extraction(name, plan(model, name, entries), left);
    }

    /** ComfyUI's {@code clip_text_transformers_convert} of an OpenCLIP text encoder under {@code p}. */
    private static Extraction openClip(ModelFile model, Map<String, Tensor> tensors, String name, String p) {
        Map<String, String> renames = new LinkedHashMap<>();
        renames.put(p + "positional_embedding", "text_model.embeddings.position_embedding.weight");
        renames.put(p + "token_embedding.weight", "text_model.embeddings.token_embedding.weight");
        renames.put(p + "ln_final.weight", "text_model.final_layer_norm.weight");
        renames.put(p + "ln_final.bias", "text_model.final_layer_norm.bias");
        renames.put(p + "text_projection.weight", "text_projection.weight");
        renames.put(p + "logit_scale", "logit_scale");
        String[][] block = {{"ln_1", "layer_norm1"}, {"ln_2", "layer_norm2"}, {"mlp.c_fc", "mlp.fc1"},
            {"mlp.c_proj", "mlp.fc2"}, {"attn.out_proj", "self_attn.out_proj"}};
        for (int layer = 0; layer < OPEN_CLIP_MAX_LAYERS; layer++) {
            for (String[] b : block) {
                for (String w : new String[] {"weight", "bias"}) {
                    renames.put(p + "transformer.resblocks." + layer + "." + b[0] + "." + w,
                            "text_model.encoder.layers." + layer + "." + b[1] + "." + w);
                }
            }
        }
        List<TensorPlan.Entry> entries = new ArrayList<>();
        List<String> left = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String key = e.getKey();
            if (!key.startsWith(p)) {
                continue;
            }
            Expr source = Expr.source(key, e.getValue());
            String rest = key.substring(p.length());
            if (renames.containsKey(key)) {
                entries.add(new TensorPlan.Entry(renames.get(key), source));
            } else if (rest.equals("text_projection") && source.shape().length == 2) {
                entries.add(new TensorPlan.Entry("text_projection.weight", new Expr.Transpose(source)));
            } else if (isInProjection(rest) && source.shape().length >= 1 && source.shape()[0] % 3 == 0) {
                String layer = rest.substring("transformer.resblocks.".length(), rest.indexOf(".attn."));
                String what = rest.endsWith("weight") ? "weight" : "bias";
                long third = source.shape()[0] / 3;
                String[] qkv = {"q_proj", "k_proj", "v_proj"};
                for (int i = 0; i < 3; i++) {
                    entries.add(new TensorPlan.Entry("text_model.encoder.layers." + layer + ".self_attn." + qkv[i] + "." + what,
                            new Expr.Narrow(source, 0, i * third, third)));
                }
            } else {
                left.add(key); // not a weight of ComfyUI's CLIP model (attn_mask, layers past 32)
            }
        }
        return new Extraction(name, plan(model, name, entries), left);
    }

    private static boolean isInProjection(String rest) {
        if (!rest.startsWith("transformer.resblocks.")
                || !(rest.endsWith(".attn.in_proj_weight") || rest.endsWith(".attn.in_proj_bias"))) {
            return false;
        }
        String layer = rest.substring("transformer.resblocks.".length(), rest.indexOf(".attn."));
        return layer.matches("\\d+") && Integer.parseInt(layer) < OPEN_CLIP_MAX_LAYERS;
    }

    private static TensorPlan plan(ModelFile model, String name, List<TensorPlan.Entry> entries) {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("sdmodel.source", model.path().getFileName().toString());
        metadata.put("sdmodel.component", name);
        return TensorPlan.of(entries, metadata).withInputs(model.path());
    }

    private static boolean hasPrefix(Map<String, Tensor> tensors, String prefix) {
        for (String k : tensors.keySet()) {
            if (k.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    private static String describe(ComponentType type) {
        switch (type) {
            case VAE: return "VAE (first_stage_model.*)";
            case UNET: return "UNet (model.diffusion_model.*)";
            default: return "text encoder (cond_stage_model.*, conditioner.embedders.*)";
        }
    }

    private static String hint(Map<String, Tensor> tensors, ComponentType type) {
        Architecture a = ArchitectureDetector.detect(tensors).architecture();
        if (a == Architecture.VAE && type == ComponentType.VAE) {
            return ": it is a VAE file already";
        }
        return a == Architecture.UNKNOWN ? "" : ": it is " + a.label() + " (" + a.description() + ")";
    }

    /**
     * What {@link #bakeVae} did: the checkpoint keys it replaced, and VAE keys the checkpoint lacks.
     *
     * @param replaced the checkpoint keys that took the VAE's values
     * @param unused the VAE's keys the checkpoint has no place for
     */
    public record VaeBake(List<String> replaced, List<String> unused) {
        /**
         * Creates the record, copying its components.
         *
         * @param replaced the checkpoint keys that took the VAE's values
         * @param unused the VAE's keys the checkpoint has no place for
         */
        public VaeBake {
            replaced = List.copyOf(replaced);
            unused = List.copyOf(unused);
        }
    }

    /**
     * Bakes {@code vae} into a checkpoint's planned tensors as the web UI's merger does: every
     * {@code first_stage_model.X} that exists takes the VAE's {@code X}, passed through
     * {@code prepare} (the merger's {@code to_half}); VAE keys the checkpoint lacks are ignored.
     * {@code checkpoint} is changed in place (keys keep their order).
     *
     * @param checkpoint the planned tensors by key, changed in place
     * @param vae the VAE file
     * @param prepare applied to each VAE tensor (the merger's {@code to_half}, or nothing)
     * @return which keys were replaced and which VAE keys were left unused
     * @throws ComponentException if nothing would be replaced (a checkpoint without a first
     *     stage), or a VAE tensor's shape differs from the one it replaces (the web UI would
     *     write it, and the checkpoint would not load)
     */
    public static VaeBake bakeVae(Map<String, Expr> checkpoint, VaeFile vae, UnaryOperator<Expr> prepare)
            throws ComponentException {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        checkpoint.forEach((k, e) -> shapes.put(k, e.shape()));
        Map<String, Tensor> replacements = vae.replacements(shapes);
        for (Map.Entry<String, Tensor> r : replacements.entrySet()) {
            checkpoint.put(r.getKey(), prepare.apply(Expr.source(vae.origin(r.getKey()), r.getValue())));
        }
        return new VaeBake(new ArrayList<>(replacements.keySet()), vae.unused(replacements));
    }

    /**
     * What {@link #fixClip} found in one {@code position_ids} tensor, and whether it replaced it.
     *
     * @param key the tensor's key
     * @param before what it held, in words (its dtype, and the first value that was off)
     * @param changed whether it was replaced by int64 {@code arange(77)}
     */
    public record ClipFix(String key, String before, boolean changed) {
        @Override
        public String toString() {
            return key + ": " + before + (changed ? " -> I64[1, 77] arange(77)" : " (already right)");
        }
    }

    /**
     * Resets the {@code position_ids} of every CLIP text encoder among {@code checkpoint}'s
     * tensors ({@code *transformer.text_model.embeddings.position_ids}, and the older
     * {@code *transformer.embeddings.position_ids}) to what {@code transformers} saves: int64
     * {@code arange(77)} of shape [1, 77]. Merges leave float values (75.99999 truncates to the
     * wrong position) or change the dtype. Changes {@code checkpoint} in place.
     *
     * @param checkpoint the planned tensors by key, changed in place
     * @return one entry per {@code position_ids} found, saying what it held
     * @throws IOException if a {@code position_ids} tensor cannot be read
     */
    public static List<ClipFix> fixClip(Map<String, Expr> checkpoint) throws IOException {
        List<ClipFix> fixes = new ArrayList<>();
        for (Map.Entry<String, Expr> e : checkpoint.entrySet()) {
            String k = e.getKey();
            if (!k.endsWith("transformer.text_model.embeddings.position_ids") && !k.endsWith("transformer.embeddings.position_ids")) {
                continue;
            }
            Expr ids = e.getValue();
            String before = describePositionIds(ids);
            boolean right = before == null;
            if (!right) {
                e.setValue(positionIds());
            }
            fixes.add(new ClipFix(k, right ? "I64[1, 77] arange(77)" : before, !right));
        }
        return fixes;
    }

    /** {@return CLIP's position ids as {@code transformers} saves them} */
    public static Expr.Constant positionIds() {
        ByteBuffer b = ByteBuffer.allocate(77 * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < 77; i++) {
            b.putLong(i);
        }
        return new Expr.Constant(DType.I64, new long[] {1, 77}, b.array(), "arange(77)");
    }

    /** Null if {@code ids} is int64 arange(77) of shape [1, 77]; else what is wrong with it. */
    private static String describePositionIds(Expr ids) throws IOException {
        String what = ids.dtype() + Arrays.toString(ids.shape());
        boolean numeric = ids.dtype() == DType.I64 || ids.dtype() == DType.I32 || ids.dtype() == DType.F32
                || ids.dtype() == DType.F16 || ids.dtype() == DType.BF16 || ids.dtype() == DType.F64;
        if (!numeric || ids.numel() != 77) {
            return what;
        }
        ByteBuffer b = ModelWriter.evaluate(ids, 77 * 8);
        int wrong = 0;
        String first = null;
        for (int i = 0; i < 77; i++) {
            double v = value(b, ids.dtype(), i);
            if (v != i) {
                wrong++;
                if (first == null) {
                    first = "at " + i + ": " + String.format(Locale.ROOT, "%.9g", v).replaceAll("\\.?0+$", "");
                }
            }
        }
        boolean rightShape = Arrays.equals(ids.shape(), new long[] {1, 77});
        if (wrong == 0 && ids.dtype() == DType.I64 && rightShape) {
            return null;
        }
        return what + (wrong == 0 ? ", values right" : ", " + wrong + (wrong == 1 ? " value" : " values")
                + " not their index (" + first + ")");
    }

    private static double value(ByteBuffer b, DType t, int i) {
        switch (t) {
            case I64: return b.getLong(i * 8);
            case I32: return b.getInt(i * 4);
            case F64: return b.getDouble(i * 8);
            case F32: return b.getFloat(i * 4);
            case F16: return Float.intBitsToFloat(org.sdmodel.convert.FloatBits.f16ToF32(b.getShort(i * 2)));
            default: return Float.intBitsToFloat(org.sdmodel.convert.FloatBits.bf16ToF32(b.getShort(i * 2)));
        }
    }
}
