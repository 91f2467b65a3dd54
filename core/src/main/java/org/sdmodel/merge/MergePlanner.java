package org.sdmodel.merge;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.sdmodel.DType;
import org.sdmodel.Tensor;
import org.sdmodel.component.ComponentPlanner;
import org.sdmodel.engine.Expr;
import org.sdmodel.engine.TensorPlan;
import org.sdmodel.webui.PythonJson;
import org.sdmodel.inspect.Architecture;
import org.sdmodel.inspect.ArchitectureDetector;
import org.sdmodel.inspect.ArchitectureVerdict;

/**
 * Plans a merge exactly as the AUTOMATIC1111 web UI's Checkpoint Merger computes it
 * ({@code modules/extras.py}, {@code run_modelmerger}), rule for rule, odd ones included:
 *
 * <ol>
 *   <li>The models are read as the web UI reads them ({@link WebUiStateDict}: state dict, key
 *       renames).
 *   <li>Add difference first replaces each of B's tensors whose key contains {@code model} by
 *       {@code B - C}, or by zeros where C lacks the key; CLIP's {@code position_ids} is skipped.
 *   <li>Each of A's tensors whose key contains {@code model} and is in B becomes
 *       {@code weighted_sum(A, B, M) = ((1 - M) * A) + (M * B)} or {@code add_difference(A, B - C,
 *       M) = A + (M * (B - C))}, each operation in the operands' dtypes with torch's type promotion
 *       and torch 2.x's rounding (see {@link Expr}), then, with "save as float16", converted to
 *       float16 if it is float32 (other results, and the tensors below, keep their dtype). CLIP's
 *       {@code position_ids} ({@code cond_stage_model.transformer.text_model.embeddings.position_ids}
 *       exactly) is skipped; SDXL's is merged, and so becomes float32.
 *   <li>When A's and B's shapes differ only in dimension 1: an inpainting A (9 channels) or
 *       InstructPix2Pix A (8) with a normal B (4) merges A's first 4 channels and keeps the rest;
 *       a normal A with an inpainting or InstructPix2Pix B is refused, as the web UI refuses it;
 *       any other difference is refused.
 *   <li>Keys only in A are kept as they are; keys only in B are dropped.
 *   <li>A baked VAE replaces the {@code first_stage_model.*} tensors that exist (float32 ones
 *       converted to float16 with "save as float16"); with no interpolation, "save as float16"
 *       then converts every float32 tensor.
 *   <li>{@code --fix-clip} (sdmodel's, not the web UI's) resets CLIP's {@code position_ids}.
 *   <li>The discard pattern removes every key it finds ({@code re.search}), last.
 * </ol>
 *
 * The metadata is the web UI's ({@link MergeMetadata}); A's config ({@code <stem>.yaml}), else B's,
 * else C's, is copied beside the output, as the tab's default "copy config from A, B or C" does.
 * Unlike the web UI, models of different architectures and tensors of mismatched shapes are
 * refused up front instead of failing half-way (or, for shapes torch broadcasts, writing a broken
 * file).
 *
 * <p>The web UI's "Weighted sum" of two models at 0.3, saved as float16:
 *
 * <pre>{@code
 * try (ModelFile a = ModelFile.open(Path.of("a.safetensors"));
 *      ModelFile b = ModelFile.open(Path.of("b.safetensors"))) {
 *     MergePlan plan = MergePlanner.plan(MergeInput.of(a), MergeInput.of(b), null,
 *             MergeOptions.weightedSum(0.3).withSaveAsHalf(true));
 *     ModelWriter.write(plan.tensors(), Path.of("merged.safetensors"), WriteOptions.defaults());
 * }
 * }</pre>
 */
public final class MergePlanner {
    /** The one key the web UI's merger never merges ({@code checkpoint_dict_skip_on_merge}). */
    public static final String SKIPPED_KEY = "cond_stage_model.transformer.text_model.embeddings.position_ids";

    private MergePlanner() {
    }

    /**
     * Plans merging {@code a} with {@code b} (and {@code c}).
     *
     * @param b B, or null for no interpolation
     * @param c C for add difference, else null
     * @param a A, the primary model
     * @param options the tab's settings
     * @return the plan: the output's tensors, metadata and name
     * @throws MergeException if the models cannot be merged as asked
     * @throws IllegalArgumentException if the number of models does not fit the method
     */
    public static MergePlan plan(MergeInput a, MergeInput b, MergeInput c, MergeOptions options) throws IOException {
        MergeMethod method = options.method();
        int given = 1 + (b != null ? 1 : 0) + (c != null ? 1 : 0);
        if (given != method.models() || (b == null && c != null)) {
            throw new IllegalArgumentException(method.webUiLabel() + " takes " + method.models() + " models, not " + given);
        }
        Map<String, Tensor> ta = WebUiStateDict.read(a.file());
        Map<String, Tensor> tb = b == null ? null : WebUiStateDict.read(b.file());
        Map<String, Tensor> tc = c == null ? null : WebUiStateDict.read(c.file());
        requireSameArchitecture(ta, tb, tc);

        Plan p = new Plan(options);
        Map<String, Expr> theta1 = b == null ? null : p.differences(sources("B", tb), tc == null ? null : sources("C", tc));
        Map<String, Expr> theta0 = sources("A", ta);
        if (theta1 != null && !theta1.isEmpty()) {
            p.mergeInto(theta0, theta1);
        } else {
            p.keptFromA.addAll(theta0.keySet());
        }
        p.missingInC.retainAll(p.merged); // B's keys A lacks are dropped anyway
        if (tb != null) {
            for (String k : tb.keySet()) {
                if (!ta.containsKey(k)) {
                    p.onlyInB.add(k);
                }
            }
        }

        ComponentPlanner.VaeBake vae = null;
        if (options.bakeVae() != null) {
            vae = ComponentPlanner.bakeVae(theta0, options.bakeVae(), p::toHalf);
        }
        if (options.saveAsHalf() && method == MergeMethod.NO_INTERPOLATION) {
            theta0.replaceAll((k, e) -> p.toHalf(e));
        }
        List<ComponentPlanner.ClipFix> clipFixes = options.fixClip() ? ComponentPlanner.fixClip(theta0) : List.of();
        List<String> discarded = new ArrayList<>();
        Pattern discard = options.discardPattern();
        if (discard != null) {
            theta0.keySet().removeIf(k -> discard.matcher(k).find() && discarded.add(k));
        }
        List<String> halved = new ArrayList<>();
        List<TensorPlan.Entry> entries = new ArrayList<>();
        for (Map.Entry<String, Expr> e : theta0.entrySet()) {
            entries.add(new TensorPlan.Entry(e.getKey(), e.getValue()));
            if (e.getValue() instanceof Expr.Convert && e.getValue().dtype() == DType.F16) {
                halved.add(e.getKey());
            }
        }

        Path config = config(a, b, c);
        TensorPlan tensors = TensorPlan.of(entries, MergeMetadata.of(a, b, c, options, p.inpainting, p.pix2pix))
                .withInputs(a.file().path(), b == null ? null : b.file().path(), c == null ? null : c.file().path(),
                        options.bakeVae() == null ? null : options.bakeVae().path());
        if (config != null) {
            tensors = tensors.withSidecar(new TensorPlan.Sidecar(config, ".yaml"));
        }
        return new MergePlan(tensors, p.merged, p.channelMerged, p.keptFromA, p.onlyInB, p.missingInC, p.inpainting,
                p.pix2pix, vae, clipFixes, discarded, halved, defaultName(a, b, c, options, p.inpainting, p.pix2pix),
                config);
    }

    /** The merge's decisions as they are made, key by key. */
    private static final class Plan {
        final MergeOptions options;
        final List<String> merged = new ArrayList<>();
        final List<String> channelMerged = new ArrayList<>();
        final List<String> keptFromA = new ArrayList<>();
        final List<String> onlyInB = new ArrayList<>();
        final List<String> missingInC = new ArrayList<>();
        boolean inpainting;
        boolean pix2pix;

        Plan(MergeOptions options) {
            this.options = options;
        }

        /** B with add difference's first step applied: {@code B - C}, or zeros where C lacks the key. */
        Map<String, Expr> differences(Map<String, Expr> b, Map<String, Expr> c) throws MergeException {
            if (c == null) {
                return b;
            }
            for (Map.Entry<String, Expr> e : b.entrySet()) {
                String key = e.getKey();
                if (key.equals(SKIPPED_KEY) || !key.contains("model")) {
                    continue;
                }
                Expr vc = c.get(key);
                if (vc == null) {
                    missingInC.add(key);
                    e.setValue(new Expr.Zeros(e.getValue().dtype(), e.getValue().shape()));
                } else {
                    e.setValue(arithmetic(key, "B", "C", () -> new Expr.Subtract(e.getValue(), vc), e.getValue(), vc));
                }
            }
            return b;
        }

        /** A's tensors that are in B (merged), in place. */
        void mergeInto(Map<String, Expr> theta0, Map<String, Expr> theta1) throws MergeException {
            for (Map.Entry<String, Expr> e : theta0.entrySet()) {
                String key = e.getKey();
                Expr b = theta1.get(key);
                if (!key.contains("model") || b == null || key.equals(SKIPPED_KEY)) {
                    keptFromA.add(key);
                    continue;
                }
                Expr a = e.getValue();
                long[] sa = a.shape();
                long[] sb = b.shape();
                Expr result;
                if (!Arrays.equals(sa, sb) && sameButChannels(sa, sb)) {
                    result = mergeChannels(key, a, b);
                    channelMerged.add(key);
                } else {
                    result = arithmetic(key, "A", "B", () -> function(a, b), a, b);
                }
                e.setValue(toHalf(result));
                merged.add(key);
            }
        }

        /** An inpainting or InstructPix2Pix A with a normal B: A's first 4 channels merged, the rest kept. */
        private Expr mergeChannels(String key, Expr a, Expr b) throws MergeException {
            long ca = a.shape()[1];
            long cb = b.shape()[1];
            if (ca == 4 && cb == 9) {
                throw new MergeException(key + ": when merging an inpainting model with a normal one, A must be the"
                        + " inpainting model");
            }
            if (ca == 4 && cb == 8) {
                throw new MergeException(key + ": when merging an instruct-pix2pix model with a normal one, A must be"
                        + " the instruct-pix2pix model");
            }
            if (!((ca == 8 || ca == 9) && cb == 4) || a.shape().length < 4) {
                throw new MergeException("bad dimensions for merged layer " + key + ": A has " + Arrays.toString(a.shape())
                        + ", B has " + Arrays.toString(b.shape()));
            }
            if (ca == 8) {
                pix2pix = true;
            } else {
                inpainting = true;
            }
            Expr firstChannels = new Expr.Narrow(a, 1, 0, 4);
            Expr value = arithmetic(key, "A", "B", () -> function(firstChannels, b), a, b);
            return new Expr.Overwrite(a, 1, 0, Expr.convert(value, a.dtype()));
        }

        private Expr function(Expr a, Expr b) {
            return options.method() == MergeMethod.WEIGHTED_SUM ? Expr.weightedSum(a, b, options.multiplier())
                    : Expr.addScaled(a, b, options.multiplier());
        }

        /** The web UI's {@code to_half}: float32 becomes float16 with "save as float16"; anything else stays. */
        Expr toHalf(Expr e) {
            return options.saveAsHalf() && e.dtype() == DType.F32 ? Expr.convert(e, DType.F16) : e;
        }
    }

    /** An expression whose construction refuses shapes or dtypes, as a one-line merge error. */
    private static Expr arithmetic(String key, String left, String right, java.util.function.Supplier<Expr> build, Expr x,
            Expr y) throws MergeException {
        if (!Arrays.equals(x.shape(), y.shape()) && !sameButChannels(x.shape(), y.shape())) {
            throw new MergeException(key + ": " + left + " has shape " + Arrays.toString(x.shape()) + " but " + right
                    + " has " + Arrays.toString(y.shape()) + " (not the same model architecture?)");
        }
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new MergeException(key + ": cannot merge " + left + "'s " + x.dtype() + " with " + right + "'s "
                    + y.dtype() + ": " + e.getMessage());
        }
    }

    /** The web UI's test {@code a.shape[0:1] + a.shape[2:] == b.shape[0:1] + b.shape[2:]}, for shapes of rank 2 and more. */
    static boolean sameButChannels(long[] a, long[] b) {
        if (a.length != b.length || a.length < 2 || a[0] != b[0]) {
            return false;
        }
        for (int i = 2; i < a.length; i++) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, Expr> sources(String label, Map<String, Tensor> tensors) {
        Map<String, Expr> m = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            m.put(e.getKey(), Expr.source(label + ":" + e.getKey(), e.getValue()));
        }
        return m;
    }

    /** Refuses models of different families (SD 1.x with SDXL), and files that are no checkpoint at all. */
    private static void requireSameArchitecture(Map<String, Tensor> a, Map<String, Tensor> b, Map<String, Tensor> c)
            throws MergeException {
        ArchitectureVerdict va = checkpoint("A", a);
        for (Object[] other : new Object[][] {{"B", b}, {"C", c}}) {
            @SuppressWarnings("unchecked")
            Map<String, Tensor> t = (Map<String, Tensor>) other[1];
            if (t == null) {
                continue;
            }
            ArchitectureVerdict v = checkpoint((String) other[0], t);
            if (family(va.architecture()) != null && family(v.architecture()) != null
                    && !family(va.architecture()).equals(family(v.architecture()))) {
                throw new MergeException("A is " + describe(va) + " but " + other[0] + " is " + describe(v)
                        + ": models of different architectures cannot be merged");
            }
        }
    }

    private static ArchitectureVerdict checkpoint(String label, Map<String, Tensor> t) throws MergeException {
        ArchitectureVerdict v = ArchitectureDetector.detect(t);
        Architecture arch = v.architecture();
        if (!arch.isCheckpoint() && arch != Architecture.UNKNOWN) {
            throw new MergeException(label + " is " + describe(v) + ", not a checkpoint: nothing to merge");
        }
        if (t.isEmpty()) {
            throw new MergeException(label + " holds no tensors");
        }
        return v;
    }

    private static String describe(ArchitectureVerdict v) {
        return v.architecture().label() + " (" + v.architecture().description() + ")";
    }

    /** sd1, sd2, sdxl, sdxl-refiner; null when unknown (the shapes will tell). */
    private static String family(Architecture a) {
        if (a.isSd1()) {
            return "sd1";
        }
        if (a.isSd2()) {
            return "sd2";
        }
        return a == Architecture.UNKNOWN ? null : a.label();
    }

    /** The first of A, B, C with a {@code <stem>.yaml} beside it ({@code os.path.splitext(filename)[0] + ".yaml"}). */
    private static Path config(MergeInput... inputs) {
        for (MergeInput in : inputs) {
            if (in == null) {
                continue;
            }
            Path file = in.file().path().toAbsolutePath();
            String name = file.getFileName().toString();
            int dot = name.lastIndexOf('.');
            Path yaml = file.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".yaml");
            if (Files.exists(yaml)) {
                return yaml;
            }
        }
        return null;
    }

    /** The web UI's {@code filename_generator} with its {@code .inpainting}/{@code .instruct-pix2pix} suffixes. */
    static String defaultName(MergeInput a, MergeInput b, MergeInput c, MergeOptions o, boolean inpainting,
            boolean pix2pix) {
        String m = round2(o.multiplier());
        String name;
        switch (o.method()) {
            case WEIGHTED_SUM:
                name = round2(1 - o.multiplier()) + "(" + a.modelName() + ") + " + m + "(" + b.modelName() + ")";
                break;
            case ADD_DIFFERENCE:
                name = a.modelName() + " + " + m + "(" + b.modelName() + " - " + c.modelName() + ")";
                break;
            default:
                name = a.modelName();
        }
        return name + (inpainting ? ".inpainting" : "") + (pix2pix ? ".instruct-pix2pix" : "");
    }

    /** Python's {@code round(x, 2)} printed as Python prints the float. */
    static String round2(double x) {
        return PythonJson.floatRepr(new BigDecimal(x).setScale(2, RoundingMode.HALF_EVEN).doubleValue());
    }
}
