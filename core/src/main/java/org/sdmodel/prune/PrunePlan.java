package org.sdmodel.prune;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sdmodel.DType;
import org.sdmodel.ModelFile;
import org.sdmodel.ModelFormatException;
import org.sdmodel.StateDict;
import org.sdmodel.Tensor;
import org.sdmodel.component.ComponentPlanner;
import org.sdmodel.convert.Precision;
import org.sdmodel.engine.Expr;
import org.sdmodel.engine.ModelWriter;
import org.sdmodel.engine.TensorPlan;

/**
 * What pruning (or converting) a file will do, decided before a byte of tensor data is read:
 * which tensors are written under which name and dtype, which are dropped and why. {@code
 * --dry-run} prints it; {@link #tensors} is the plan the engine ({@link ModelWriter}) writes:
 *
 * <pre>{@code
 * PrunePlan plan = PrunePlan.of(model, PruneOptions.defaults());
 * ModelWriter.write(plan.tensors(plan.metadata(model, true)), target, WriteOptions.defaults());
 * }</pre>
 */
public final class PrunePlan {
    /** The DDPM schedule buffers, which keep their precision: {@link Precision#SCHEDULE_BUFFERS}. */
    public static final Set<String> SCHEDULE_BUFFERS = Precision.SCHEDULE_BUFFERS;

    private static final String MODEL = "model.";
    private static final String MODEL_EMA = "model_ema.";

    /** LitEma's two buffers beside the copies: state of the averaging, not weights of the model. */
    private static final Map<String, String> EMA_BOOKKEEPING = Map.of(
            MODEL_EMA + "decay", "LitEma's decay rate, not a weight",
            MODEL_EMA + "num_updates", "LitEma's update counter, not a weight");

    /**
     * One tensor to write: its output name, where its values come from, and its output dtype.
     *
     * @param name the tensor's name in the output
     * @param sourceName the name of the input tensor its values come from (an EMA copy's, when EMA weights are used)
     * @param source that input tensor
     * @param dtype the output dtype
     */
    public record Item(String name, String sourceName, Tensor source, DType dtype) {
        /** {@return true if the values change dtype on the way} */
        public boolean converts() {
            return dtype != source.dtype();
        }

        /** {@return bytes written for this tensor} */
        public long outputBytes() {
            return dtype.byteSize(source.numel());
        }
    }

    private final List<Item> items;
    private final Map<String, String> dropped;
    private final Map<String, String> unconverted;
    private final Map<String, String> droppedTopLevel;
    private final Map<String, String> skippedValues;
    private final int emaSwapped;
    private final PruneOptions options;
    private final long inputBytes;
    private final Path source;
    private final Map<String, Expr> expressions;
    private final ComponentPlanner.VaeBake vae;
    private final List<ComponentPlanner.ClipFix> clipFixes;

    private PrunePlan(List<Item> items, Map<String, String> dropped, Map<String, String> unconverted,
            Map<String, String> droppedTopLevel, Map<String, String> skippedValues, int emaSwapped,
            PruneOptions options, long inputBytes, Path source, Map<String, Expr> expressions,
            ComponentPlanner.VaeBake vae, List<ComponentPlanner.ClipFix> clipFixes) {
        this.source = source;
        this.expressions = Collections.unmodifiableMap(expressions);
        this.vae = vae;
        this.clipFixes = List.copyOf(clipFixes);
        this.items = Collections.unmodifiableList(items);
        this.dropped = Collections.unmodifiableMap(dropped);
        this.unconverted = Collections.unmodifiableMap(unconverted);
        this.droppedTopLevel = Collections.unmodifiableMap(droppedTopLevel);
        this.skippedValues = Collections.unmodifiableMap(skippedValues);
        this.emaSwapped = emaSwapped;
        this.options = options;
        this.inputBytes = inputBytes;
    }

    /** {@return the tensors to write, in the order the source file holds them} */
    public List<Item> items() {
        return items;
    }

    /** {@return state-dict tensors left out, by name, with the reason} */
    public Map<String, String> dropped() {
        return dropped;
    }

    /** {@return floating tensors that keep their dtype although the precision would change it, with the reason} */
    public Map<String, String> unconverted() {
        return unconverted;
    }

    /** {@return top-level entries outside the state dict (optimizer states, callbacks...), with a description} */
    public Map<String, String> droppedTopLevel() {
        return droppedTopLevel;
    }

    /** {@return non-tensor values inside the state dict, which safetensors cannot hold} */
    public Map<String, String> skippedValues() {
        return skippedValues;
    }

    /** {@return how many {@code model.*} weights took their EMA copy's values} */
    public int emaSwapped() {
        return emaSwapped;
    }

    /** {@return the options the plan was made with} */
    public PruneOptions options() {
        return options;
    }

    /** {@return bytes of all tensors in the source's state dict} */
    public long inputTensorBytes() {
        return inputBytes;
    }

    /** {@return bytes of tensor data the output will hold} */
    public long outputTensorBytes() {
        long sum = 0;
        for (Item i : items) {
            sum += i.outputBytes();
        }
        return sum;
    }

    /** {@return number of items whose dtype changes} */
    public long convertedCount() {
        return items.stream().filter(Item::converts).count();
    }

    /** {@return what baking {@link PruneOptions#bakeVae()} replaced; null without it} */
    public ComponentPlanner.VaeBake vae() {
        return vae;
    }

    /** {@return what {@link PruneOptions#fixClip()} found and changed (empty without it)} */
    public List<ComponentPlanner.ClipFix> clipFixes() {
        return clipFixes;
    }

    /**
     * The output as the engine writes it: each item's source tensor, converted to its dtype
     * ({@link Expr.Convert}: torch 2.x's conversion), CLIP's {@code position_ids} replaced with
     * {@code --fix-clip}.
     *
     * @param metadata the {@code __metadata__} to write (see {@link #metadata}), or null
     * @return the plan the engine writes
     */
    public TensorPlan tensors(Map<String, String> metadata) {
        List<TensorPlan.Entry> entries = new ArrayList<>();
        expressions.forEach((name, e) -> entries.add(new TensorPlan.Entry(name, e)));
        return TensorPlan.of(entries, metadata).withInputs(source, vae == null ? null : options.bakeVae().path());
    }

    /**
     * The metadata prune and convert write: {@code format: pt}, the source's own safetensors
     * metadata (kohya's {@code ss_*}, merge recipes) except earlier {@code sdmodel.*} keys,
     * {@code sdmodel.source}, with {@code recordPruneSettings} {@code sdmodel.ema}, with it or a
     * precision other than {@code keep} {@code sdmodel.precision} (its {@link Precision#label()}),
     * {@code sdmodel.vae} when a VAE was baked in, and the source's {@code global_step} and
     * {@code epoch}. The output's size depends on it (through the header), which is why
     * {@code inspect}'s estimate uses it too.
     *
     * @param model the input, as the plan was made from it
     * @param recordPruneSettings whether to add {@code sdmodel.ema} and {@code sdmodel.precision}
     * @return the metadata, in the order it is written
     * @throws ModelFormatException if the input's state dict cannot be read
     */
    public Map<String, String> metadata(ModelFile model, boolean recordPruneSettings) throws ModelFormatException {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        for (Map.Entry<String, String> e : model.metadata().entrySet()) {
            if (!e.getKey().equals("format") && !e.getKey().startsWith("sdmodel.")) {
                m.put(e.getKey(), e.getValue());
            }
        }
        m.put("sdmodel.source", model.path().getFileName().toString());
        if (recordPruneSettings) {
            m.put("sdmodel.ema", options.ema().label());
        }
        // convert records a precision only when one was asked for (its default keeps every dtype)
        if (recordPruneSettings || options.precision() != Precision.KEEP) {
            m.put("sdmodel.precision", options.precision().label());
        }
        if (vae != null) {
            m.put("sdmodel.vae", options.bakeVae().name());
        }
        for (Map.Entry<Object, Object> e : model.stateDict().otherTopLevelEntries().entrySet()) {
            if (("global_step".equals(e.getKey()) || "epoch".equals(e.getKey())) && e.getValue() instanceof Long) {
                m.put("sdmodel." + e.getKey(), e.getValue().toString());
            }
        }
        return m;
    }

    /**
     * Decides what pruning {@code model} with {@code options} will write.
     *
     * @param model the input
     * @param options what to keep, drop and convert
     * @return the plan
     * @throws PruneException if EMA copies exist but do not cover every {@code model.*} weight
     *     (with {@link EmaPolicy#USE}), a copy's shape differs from its weight's, or names collide,
     *     or CLIP's {@code position_ids} cannot be read for {@code --fix-clip}
     * @throws org.sdmodel.component.ComponentException if the VAE to bake in does not fit
     */
    public static PrunePlan of(ModelFile model, PruneOptions options) throws ModelFormatException {
        StateDict sd = model.stateDict();
        Map<String, Tensor> tensors = sd.tensors();
        // a baked VAE replaces the first stage's tensors it has, as the web UI's merger bakes one
        Map<String, Tensor> baked = Map.of();
        ComponentPlanner.VaeBake vae = null;
        if (options.bakeVae() != null) {
            Map<String, long[]> shapes = new LinkedHashMap<>();
            tensors.forEach((k, t) -> shapes.put(k, t.shape()));
            baked = options.bakeVae().replacements(shapes);
            vae = new ComponentPlanner.VaeBake(new ArrayList<>(baked.keySet()), options.bakeVae().unused(baked));
        }
        Map<String, String> dropped = new LinkedHashMap<>();
        Map<String, String> unconverted = new LinkedHashMap<>();

        boolean hasEma = hasEma(sd);
        int swapped = 0;
        // model.X -> its EMA copy's name, made once: three uses each, for a thousand names at start-up
        Map<String, String> emaNames = new HashMap<>();
        if (options.ema() == EmaPolicy.USE && hasEma) {
            int models = 0;
            int covered = 0;
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                String name = e.getKey();
                if (!name.startsWith(MODEL)) {
                    continue;
                }
                models++;
                String copy = emaName(name);
                emaNames.put(name, copy);
                Tensor ema = tensors.get(copy);
                if (ema != null) {
                    covered++;
                    if (!java.util.Arrays.equals(ema.shape(), e.getValue().shape())) {
                        throw new PruneException("the EMA copy " + copy + " has shape "
                                + java.util.Arrays.toString(ema.shape()) + " but " + name + " has "
                                + java.util.Arrays.toString(e.getValue().shape()));
                    }
                }
            }
            if (covered < models) {
                throw new PruneException("EMA copies cover " + covered + " of " + models
                        + " model.* weights; use --ema drop (training weights) or --ema keep (both)");
            }
            swapped = covered;
        }

        long inputBytes = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            inputBytes += e.getValue().byteSize();
        }
        Map<String, String> swappedInto = new LinkedHashMap<>();
        if (swapped > 0) {
            for (String name : tensors.keySet()) {
                if (name.startsWith(MODEL)) {
                    swappedInto.put(emaNames.get(name), name);
                }
            }
        }
        List<Item> items = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            String sourceName = name;
            if (name.startsWith(MODEL_EMA) && options.ema() != EmaPolicy.KEEP) {
                dropped.put(name, emaDropReason(name, options.ema(), swappedInto.get(name)));
                continue;
            }
            if (options.ema() == EmaPolicy.USE && hasEma && name.startsWith(MODEL)) {
                sourceName = emaNames.get(name);
            }
            if (options.drop() != null && options.drop().matcher(name).find()) {
                dropped.put(name, "matches --drop");
                continue;
            }
            Tensor source = tensors.get(sourceName);
            if (baked.containsKey(name)) {
                source = baked.get(name);
                sourceName = options.bakeVae().origin(name);
            }
            // the per-tensor rule (precision, float8 for UNet weights, schedule buffers) is Precision's
            DType dtype = options.precision().target(name, source.dtype(), source.shape());
            String kept = options.precision().keptReason(name, source.dtype(), source.shape());
            if (kept != null) {
                unconverted.put(name, kept);
            } else if (dtype != source.dtype() && options.keep() != null && options.keep().matcher(name).find()) {
                unconverted.put(name, "matches --keep");
                dtype = source.dtype();
            }
            items.add(new Item(name, sourceName, source, dtype));
        }

        Map<String, String> top = new LinkedHashMap<>();
        for (Map.Entry<Object, Object> e : sd.otherTopLevelEntries().entrySet()) {
            top.put(String.valueOf(e.getKey()), StateDict.describe(e.getValue()));
        }
        Map<String, Expr> expressions = new LinkedHashMap<>();
        for (Item item : items) {
            expressions.put(item.name(), Expr.source(item.sourceName(), item.source()));
        }
        List<ComponentPlanner.ClipFix> clipFixes = List.of();
        if (options.fixClip()) { // on the values as they are, before any conversion
            try {
                clipFixes = ComponentPlanner.fixClip(expressions);
            } catch (ModelFormatException e) {
                throw e;
            } catch (java.io.IOException e) {
                throw new PruneException("cannot read CLIP's position_ids: " + e.getMessage());
            }
        }
        for (Item item : items) {
            Expr e = expressions.get(item.name());
            if (e instanceof Expr.Source) { // not replaced by the fix
                expressions.put(item.name(), Expr.convert(e, item.dtype()));
            }
        }
        return new PrunePlan(items, dropped, unconverted, top, new LinkedHashMap<>(sd.skipped()), swapped,
                options, inputBytes, model.path(), expressions, vae, clipFixes);
    }

    /** Why a {@code model_ema.*} key is not written, in the words {@code --dry-run} prints. */
    private static String emaDropReason(String name, EmaPolicy ema, String swappedInto) {
        String bookkeeping = EMA_BOOKKEEPING.get(name);
        if (bookkeeping != null) {
            return bookkeeping;
        }
        if (ema == EmaPolicy.DROP) {
            return "EMA copy (--ema drop)";
        }
        return swappedInto != null ? "EMA copy: its values went into " + swappedInto
                : "EMA key that copies no model.* weight (dropped with the EMA copies)";
    }

    /**
     * {@return true for LitEma's {@code model_ema.decay} and {@code model_ema.num_updates}: EMA state, not copies of weights}
     *
     * @param name a tensor's name
     */
    public static boolean isEmaBookkeeping(String name) {
        return EMA_BOOKKEEPING.containsKey(name);
    }

    /**
     * {@return litEma's name for the copy of {@code model.X}: {@code model_ema.} + X without dots}
     *
     * @param modelName a {@code model.*} key
     */
    public static String emaName(String modelName) {
        // what .replace(".", "") gives, in fewer steps: this runs for a thousand names at start-up
        StringBuilder ema = new StringBuilder(MODEL_EMA.length() + modelName.length()).append(MODEL_EMA);
        int from = MODEL.length();
        for (int dot = modelName.indexOf('.', from); dot >= 0; dot = modelName.indexOf('.', from)) {
            ema.append(modelName, from, dot);
            from = dot + 1;
        }
        return ema.append(modelName, from, modelName.length()).toString();
    }

    /**
     * Whether a file's state dict has EMA copies at all. LitEma's {@code decay} and
     * {@code num_updates} alone are not copies: pruned checkpoints often keep them and nothing else.
     *
     * @param sd a state dict
     * @return whether any {@code model_ema.*} weight is there
     */
    public static boolean hasEma(StateDict sd) {
        return sd.tensors().keySet().stream().anyMatch(n -> n.startsWith(MODEL_EMA) && !isEmaBookkeeping(n));
    }
}
