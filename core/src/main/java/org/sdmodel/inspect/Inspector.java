package org.sdmodel.inspect;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sdmodel.DType;
import org.sdmodel.ModelFile;
import org.sdmodel.ObjectTrees;
import org.sdmodel.StateDict;
import org.sdmodel.Tensor;
import org.sdmodel.convert.Precision;
import org.sdmodel.prune.PruneException;
import org.sdmodel.prune.PruneOptions;
import org.sdmodel.prune.PrunePlan;

/**
 * Tells what a model file is: its architecture, its components, its training baggage, what prune
 * would make of it, its metadata. Only names, shapes and dtypes are looked at, except the few
 * values a check needs (the 77 CLIP {@code position_ids}), so inspecting a multi-GB checkpoint
 * takes as long as opening it.
 *
 * <pre>{@code
 * try (ModelFile model = ModelFile.open(path)) {
 *     ModelInspection i = Inspector.inspect(model);
 *     System.out.println(i.architecture().architecture().label() + ": " + i.architecture().reason());
 * }
 * }</pre>
 */
public final class Inspector {
    /** The number of positions of the CLIP text encoders SD uses. */
    static final int CLIP_POSITIONS = 77;
    private static final String EMA = "model_ema.";
    private static final List<String> COMPONENT_ORDER =
            List.of("unet", "vae", "text_encoder", "text_encoder_2", "depth_model", "embedding");

    private Inspector() {
    }

    /**
     * Inspects a file without knowing its sha256 (no known-release lookup).
     *
     * @param model an open file
     * @return what the file is and holds
     * @throws IOException if the file cannot be read
     */
    public static ModelInspection inspect(ModelFile model) throws IOException {
        return inspect(model, null);
    }

    /**
     * Inspects a file.
     *
     * @param sha256 the file's sha256 if already known (from {@code hash}), to name an official
     *     release and its prediction type; null if not
     * @param model an open file
     * @return what the file is and holds
     * @throws org.sdmodel.ModelFormatException if the file has no state dict sdmodel can read
     */
    public static ModelInspection inspect(ModelFile model, String sha256) throws IOException {
        StateDict sd = model.stateDict();
        Map<String, Tensor> tensors = sd.tensors();
        ArchitectureVerdict verdict = ArchitectureDetector.detect(tensors);
        Architecture arch = verdict.architecture();
        KnownModel known = KnownModels.bySha256(sha256).orElse(null);

        Map<String, TensorStats.Builder> parts = new LinkedHashMap<>();
        Map<String, String> prefixes = new LinkedHashMap<>();
        TensorStats.Builder other = new TensorStats.Builder();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String key = e.getKey();
            if (key.startsWith(EMA)) {
                continue;
            }
            String[] part = componentOf(key, arch);
            if (part == null) {
                other.add(e.getValue());
            } else {
                parts.computeIfAbsent(part[0], k -> new TensorStats.Builder()).add(e.getValue());
                prefixes.putIfAbsent(part[0], part[1]);
            }
        }
        Map<String, Component> components = new LinkedHashMap<>();
        for (String name : COMPONENT_ORDER) {
            if (parts.containsKey(name)) {
                components.put(name, new Component(name, describe(name, arch), prefixes.get(name), parts.get(name).build()));
            }
        }
        List<String> missing = new ArrayList<>();
        for (String name : expectedComponents(arch)) {
            if (!components.containsKey(name)) {
                missing.add(name);
            }
        }
        List<String> problems = problems(tensors, arch, components);
        EmaReport ema = ema(tensors);

        List<TopLevelEntry> top = new ArrayList<>();
        boolean optimizer = false;
        for (Map.Entry<Object, Object> e : sd.otherTopLevelEntries().entrySet()) {
            String name = String.valueOf(e.getKey());
            top.add(new TopLevelEntry(name, StateDict.describe(e.getValue()), ObjectTrees.tensorBytes(e.getValue())));
            if ((name.equals("optimizer_states") || name.equals("optimizer")) && holdsSomething(e.getValue())) {
                optimizer = true;
            }
        }

        PruneEstimate prune = null;
        String pruneUnavailable = null;
        try {
            prune = pruneEstimate(model, top);
        } catch (PruneException | IllegalArgumentException e) {
            pruneUnavailable = e.getMessage();
        }
        MetadataSummary metadata = MetadataSummary.of(model.metadata());
        Prediction prediction = prediction(arch, known, tensors, sd, metadata, model.metadata());
        return new ModelInspection(TensorStats.of(tensors.values()), verdict, prediction, known, components,
                other.build(), missing, problems, ema, optimizer, top, prune, pruneUnavailable, metadata);
    }

    /** {component, key prefix} for a state-dict key, or null when it belongs to none. */
    static String[] componentOf(String key, Architecture arch) {
        switch (arch) {
            case LORA:
                for (String[] p : new String[][] {
                        {"lora_unet_", "unet"}, {"unet.", "unet"}, {"unet:", "unet"},
                        {"down_blocks.", "unet"}, {"mid_block.", "unet"}, {"up_blocks.", "unet"},
                        {"lora_te2_", "text_encoder_2"}, {"text_encoder_2.", "text_encoder_2"},
                        {"text_encoder_2:", "text_encoder_2"}, {"lora_te_", "text_encoder"},
                        {"lora_te1_", "text_encoder"}, {"text_encoder.", "text_encoder"},
                        {"text_encoder:", "text_encoder"}}) {
                    if (key.startsWith(p[0])) {
                        return new String[] {p[1], p[0]};
                    }
                }
                return null;
            case EMBEDDING:
                if (key.startsWith("string_to_param.")) {
                    return new String[] {"embedding", "string_to_param."};
                }
                return key.equals("emb_params") || key.equals("clip_l") || key.equals("clip_g")
                        ? new String[] {"embedding", key} : null;
            case VAE:
                for (String p : new String[] {"encoder.", "decoder.", "quant_conv.", "post_quant_conv."}) {
                    if (key.startsWith(p)) {
                        return new String[] {"vae", "encoder., decoder., quant_conv., post_quant_conv."};
                    }
                }
                return key.startsWith(ArchitectureDetector.FIRST_STAGE) ? new String[] {"vae", ArchitectureDetector.FIRST_STAGE} : null;
            default:
                for (String[] p : new String[][] {
                        {ArchitectureDetector.UNET, "unet"}, {ArchitectureDetector.FIRST_STAGE, "vae"},
                        {"cond_stage_model.", "text_encoder"}, {"conditioner.embedders.0.", "text_encoder"},
                        {"conditioner.embedders.1.", "text_encoder_2"}, {ArchitectureDetector.DEPTH, "depth_model"}}) {
                    if (key.startsWith(p[0])) {
                        return new String[] {p[1], p[0]};
                    }
                }
                return null;
        }
    }

    private static String describe(String component, Architecture arch) {
        if (arch == Architecture.LORA) {
            return component.equals("unet") ? "LoRA for the UNet"
                    : component.equals("text_encoder") ? "LoRA for the text encoder" : "LoRA for the second text encoder";
        }
        switch (component) {
            case "unet":
                return "UNet";
            case "vae":
                return "VAE (AutoencoderKL)";
            case "text_encoder":
                return arch.isSd2() ? "OpenCLIP ViT-H/14 text encoder"
                        : arch == Architecture.SDXL_REFINER ? "OpenCLIP ViT-bigG/14 text encoder" : "CLIP ViT-L/14 text encoder";
            case "text_encoder_2":
                return "OpenCLIP ViT-bigG/14 text encoder";
            case "depth_model":
                return "MiDaS depth model";
            default:
                return "embedding vectors";
        }
    }

    /** The components a complete file of this architecture has. */
    static List<String> expectedComponents(Architecture arch) {
        switch (arch) {
            case SD1:
            case SD1_INPAINTING:
            case SD1_PIX2PIX:
            case SD2:
            case SD2_INPAINTING:
            case SDXL_REFINER:
                return List.of("unet", "vae", "text_encoder");
            case SD2_DEPTH:
                return List.of("unet", "vae", "text_encoder", "depth_model");
            case SDXL:
                return List.of("unet", "vae", "text_encoder", "text_encoder_2");
            default:
                return List.of();
        }
    }

    private static List<String> problems(Map<String, Tensor> tensors, Architecture arch, Map<String, Component> components)
            throws IOException {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey().endsWith("embeddings.position_ids") && !e.getKey().startsWith(EMA)) {
                String p = positionIdsProblem(e.getValue());
                if (p != null) {
                    problems.add(e.getKey() + ": " + p);
                }
            }
        }
        if (arch.isCheckpoint() && components.containsKey("unet") && !tensors.containsKey(ArchitectureDetector.UNET_INPUT_CONV)) {
            problems.add(ArchitectureDetector.UNET_INPUT_CONV + " is missing: the UNet is incomplete");
        }
        return problems;
    }

    /**
     * What is wrong with a CLIP {@code position_ids} buffer, or null: it must be the int64
     * {@code arange(77)} (shape {@code [1, 77]}). Merges and some conversions store it as floats,
     * which can round to values like 76.99999 that the web UI truncates to 76 (its "CLIP position
     * ids" fix exists for this), or shuffle it.
     */
    static String positionIdsProblem(Tensor t) throws IOException {
        long[] shape = t.shape();
        long numel = t.numel();
        if (numel != CLIP_POSITIONS) {
            return "holds " + numel + " positions " + java.util.Arrays.toString(shape) + ", not " + CLIP_POSITIONS;
        }
        DType dtype = t.dtype();
        boolean floating = dtype.isFloatingPoint();
        if (!floating && dtype != DType.I64 && dtype != DType.I32) {
            return "is " + dtype + ", not int64";
        }
        ByteBuffer values = t.readAll((int) t.byteSize());
        for (int i = 0; i < CLIP_POSITIONS; i++) {
            double v = value(values, dtype, i);
            if (v != i) {
                String shown = floating ? Double.toString(v) : Long.toString((long) v);
                return "position " + i + " holds " + shown + ", not " + i
                        + (floating && Math.floor(v) != i && Math.abs(v - i) < 1 ? " (truncates to " + (long) Math.floor(v) + ")" : "")
                        + (floating ? "; and it is " + dtype + ", not int64" : "");
            }
        }
        return dtype == DType.I64 ? null : "is " + dtype + ", not int64 (its values are right)";
    }

    private static double value(ByteBuffer b, DType dtype, int i) {
        switch (dtype) {
            case I64: return b.getLong(i * 8);
            case I32: return b.getInt(i * 4);
            case F64: return b.getDouble(i * 8);
            case F32: return b.getFloat(i * 4);
            case F16: return halfToFloat(b.getShort(i * 2) & 0xFFFF);
            case BF16: return Float.intBitsToFloat((b.getShort(i * 2) & 0xFFFF) << 16);
            default: return Double.NaN; // 8-bit floats: shown as NaN, reported as not int64
        }
    }

    /** IEEE binary16 to float (exact: every half is a float). */
    private static float halfToFloat(int h) {
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f; // subnormal: mantissa x 2^-24, exact in float
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    private static EmaReport ema(Map<String, Tensor> tensors) {
        int copies = 0;
        long bytes = 0;
        int unet = 0;
        int covered = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String key = e.getKey();
            if (key.startsWith(EMA) && !PrunePlan.isEmaBookkeeping(key)) {
                copies++;
                bytes += e.getValue().byteSize();
            } else if (key.startsWith(ArchitectureDetector.UNET)) {
                unet++;
                if (tensors.containsKey(PrunePlan.emaName(key))) {
                    covered++;
                }
            }
        }
        return new EmaReport(copies, bytes, unet, covered);
    }

    private static boolean holdsSomething(Object v) {
        if (v instanceof Map) {
            return !((Map<?, ?>) v).isEmpty();
        }
        if (v instanceof List) {
            return !((List<?>) v).isEmpty();
        }
        return v != null;
    }

    /**
     * What {@code sdmodel prune FILE} would write, decided as prune decides it: the plan of
     * {@link PruneOptions#defaults()} (which refuses partial EMA copies, as prune does) and the
     * exact file size at each precision, header and metadata included ({@link PrunePlan#metadata}).
     *
     * @throws PruneException when prune would refuse the file with its defaults
     */
    private static PruneEstimate pruneEstimate(ModelFile model, List<TopLevelEntry> top) throws IOException {
        PruneOptions options = PruneOptions.defaults();
        Map<Precision, Long> out = new EnumMap<>(Precision.class);
        PrunePlan plan = null;
        for (Precision p : Precision.values()) {
            plan = PrunePlan.of(model, options.withPrecision(p));
            out.put(p, plan.tensors(plan.metadata(model, true)).layout().fileSize());
        }
        Map<String, Tensor> tensors = model.stateDict().tensors();
        long droppedBytes = 0;
        for (String name : plan.dropped().keySet()) {
            droppedBytes += tensors.get(name).byteSize();
        }
        long topBytes = 0;
        for (TopLevelEntry e : top) {
            topBytes += e.tensorBytes();
        }
        return new PruneEstimate(options.ema(), model.size(), plan.dropped().size(), droppedBytes, topBytes, out);
    }

    /**
     * What the model predicts, as {@link #inspect} reports it: from the known release when one is
     * given, else from the file ({@code v_pred}, {@code hyper_parameters.parameterization}, kohya's
     * metadata, the architecture's official releases).
     *
     * @param model an open file
     * @param known the official release it is, or null
     * @return what it predicts, and how that is known
     * @throws IOException if the file cannot be read
     */
    public static Prediction prediction(ModelFile model, KnownModel known) throws IOException {
        StateDict sd = model.stateDict();
        ArchitectureVerdict verdict = ArchitectureDetector.detect(sd.tensors());
        return prediction(verdict.architecture(), known, sd.tensors(), sd, null, model.metadata());
    }

    private static Prediction prediction(Architecture arch, KnownModel known, Map<String, Tensor> tensors, StateDict sd,
            MetadataSummary summary, Map<String, String> metadata) {
        if (known != null) {
            return new Prediction(known.prediction(), "known file " + known.fileName() + " (" + known.release() + ")");
        }
        if (tensors.containsKey("v_pred")) {
            return new Prediction(PredictionType.V, "a 'v_pred' key marks it (as ComfyUI reads it)");
        }
        Object hyper = sd.otherTopLevelEntries().get("hyper_parameters");
        if (hyper instanceof Map && ((Map<?, ?>) hyper).get("parameterization") instanceof String) {
            String p = (String) ((Map<?, ?>) hyper).get("parameterization");
            PredictionType t = p.equals("v") ? PredictionType.V : p.equals("eps") ? PredictionType.EPS : PredictionType.UNKNOWN;
            return new Prediction(t, "hyper_parameters.parameterization is '" + p + "'");
        }
        if ("True".equals(metadata.get("ss_v_parameterization"))) {
            return new Prediction(PredictionType.V, "kohya's ss_v_parameterization is True (trained on a v model)");
        }
        if (arch.isSd1() || arch == Architecture.SDXL || arch == Architecture.SDXL_REFINER) {
            return new Prediction(PredictionType.EPS,
                    "assumed: every official " + (arch.isSd1() ? "SD 1.x" : "SDXL") + " release predicts eps; v-prediction fine-tunes exist");
        }
        if (arch.isSd2()) {
            return new Prediction(PredictionType.UNKNOWN,
                    "SD 2.x weights do not tell: the 768-pixel releases predict v, the 512-pixel ones eps (hash the file to name a release)");
        }
        return new Prediction(PredictionType.UNKNOWN, "not a complete diffusion model");
    }
}
