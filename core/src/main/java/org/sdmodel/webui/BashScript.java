package org.sdmodel.webui;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code source webui-user.sh} does to the environment, for the plain assignments such files
 * hold: {@code export NAME="value"}, {@code NAME=value}, {@code NAME+=value}, {@code unset NAME},
 * with bash's quoting (single quotes, double quotes with {@code \"} {@code \\} {@code \$} escapes
 * and line continuations, values spanning lines), comments, {@code $NAME} and {@code ${NAME}}
 * expansion from earlier assignments and the environment, and {@code ~} at the start of an
 * unquoted value. The last assignment wins, as when bash runs the file.
 *
 * <p>What it does not evaluate is reported with its line, never guessed: command substitution
 * ({@code $(...)}, backquotes), {@code ${NAME:-x}} and other expansions, assignments inside
 * {@code if}/{@code case}/loops/functions or after {@code &&}/{@code ||} (sdmodel cannot tell whether
 * they run), files read with {@code source}, unterminated quotes. Assignments in a pipeline, a
 * background job or a {@code ( )} subshell do not change bash's variables and are skipped.
 */
final class BashScript {
    private static final Pattern ASSIGNMENT = Pattern.compile("^([A-Za-z_][A-Za-z0-9_]*)(\\+?)=");
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Set<String> OPENERS = Set.of("if", "case", "for", "while", "until", "select");
    private static final Set<String> CLOSERS = Set.of("fi", "esac", "done", "}");
    private static final Set<String> PREFIXES = Set.of("then", "do", "else", "elif", "!", "time");

    private enum PartKind { LITERAL, PARAM, UNSUPPORTED }

    /** A piece of a word: literal text (quoted or not), a {@code $NAME}, or something not evaluated. */
    private record Part(PartKind kind, String text, boolean quoted) {
    }

    private record Word(List<Part> parts, int line) {
        /** The word's text if it is a plain unquoted literal (a keyword, a command name), else null. */
        String plain() {
            StringBuilder b = new StringBuilder();
            for (Part p : parts) {
                if (p.kind != PartKind.LITERAL || p.quoted) {
                    return null;
                }
                b.append(p.text);
            }
            return b.toString();
        }
    }

    private enum TokenKind { WORD, OPERATOR, NEWLINE }

    private record Token(TokenKind kind, Word word, String operator, int line, int start, int end) {
    }

    private final Path file;
    private final String text;
    private final LaunchVariables vars;
    private final List<Token> tokens = new ArrayList<>();
    private int pos;
    private int line = 1;

    private BashScript(Path file, String text, LaunchVariables vars) {
        this.file = file;
        this.text = text;
        this.vars = vars;
    }

    /** Runs {@code text} (the content of {@code file}) against {@code vars}, as {@code source} would. */
    static void source(Path file, String text, LaunchVariables vars) {
        BashScript s = new BashScript(file, text, vars);
        s.lex();
        s.run();
    }

    // --- lexing -----------------------------------------------------------------------------------

    private void lex() {
        int n = text.length();
        while (pos < n) {
            char c = text.charAt(pos);
            if (c == '\n') {
                tokens.add(new Token(TokenKind.NEWLINE, null, null, line, pos, pos + 1));
                line++;
                pos++;
            } else if (c == ' ' || c == '\t' || c == '\r') {
                pos++;
            } else if (c == '\\' && pos + 1 < n && text.charAt(pos + 1) == '\n') {
                pos += 2; // a line continuation between words
                line++;
            } else if (c == '#') {
                while (pos < n && text.charAt(pos) != '\n') {
                    pos++;
                }
            } else if (";&|()<>".indexOf(c) >= 0) {
                int start = pos;
                pos++;
                if (pos < n && (text.charAt(pos) == c && c != '(' && c != ')' || c == '>' && text.charAt(pos) == '&')) {
                    pos++;
                }
                tokens.add(new Token(TokenKind.OPERATOR, null, text.substring(start, pos), line, start, pos));
            } else {
                int start = pos;
                int startLine = line;
                Word w = word();
                if (w == null) {
                    return; // an unterminated quote: reported, and nothing after it can be read
                }
                tokens.add(new Token(TokenKind.WORD, w, null, startLine, start, pos));
            }
        }
    }

    private Word word() {
        int startLine = line;
        List<Part> parts = new ArrayList<>();
        int n = text.length();
        while (pos < n) {
            char c = text.charAt(pos);
            if (" \t\r\n;&|()<>".indexOf(c) >= 0) {
                break;
            }
            if (c == '\\') {
                if (pos + 1 >= n) {
                    literal(parts, "\\", false);
                    pos++;
                } else if (text.charAt(pos + 1) == '\n') {
                    pos += 2;
                    line++;
                } else {
                    literal(parts, String.valueOf(text.charAt(pos + 1)), true);
                    pos += 2;
                }
            } else if (c == '\'') {
                int close = text.indexOf('\'', pos + 1);
                if (close < 0) {
                    unterminated(startLine, "'");
                    return null;
                }
                String inside = text.substring(pos + 1, close);
                literal(parts, inside, true);
                line += count(inside, '\n');
                pos = close + 1;
            } else if (c == '"') {
                pos++;
                if (!doubleQuoted(parts, startLine)) {
                    return null;
                }
            } else if (c == '$') {
                dollar(parts, false);
            } else if (c == '`') {
                backquote(parts);
            } else {
                literal(parts, String.valueOf(c), false);
                pos++;
            }
        }
        return new Word(parts, startLine);
    }

    /** The inside of "...", from after the opening quote; false when the quote never closes. */
    private boolean doubleQuoted(List<Part> parts, int startLine) {
        int n = text.length();
        while (pos < n) {
            char c = text.charAt(pos);
            if (c == '"') {
                pos++;
                if (parts.isEmpty() || parts.get(parts.size() - 1).kind != PartKind.LITERAL
                        || !parts.get(parts.size() - 1).quoted) {
                    literal(parts, "", true); // "" is an empty quoted string, not nothing
                }
                return true;
            }
            if (c == '\\' && pos + 1 < n && "$`\"\\\n".indexOf(text.charAt(pos + 1)) >= 0) {
                char e = text.charAt(pos + 1);
                if (e == '\n') {
                    line++;
                } else {
                    literal(parts, String.valueOf(e), true);
                }
                pos += 2;
            } else if (c == '$') {
                dollar(parts, true);
            } else if (c == '`') {
                backquote(parts);
            } else {
                if (c == '\n') {
                    line++;
                }
                literal(parts, String.valueOf(c), true);
                pos++;
            }
        }
        unterminated(startLine, "\"");
        return false;
    }

    private void dollar(List<Part> parts, boolean inDoubleQuotes) {
        int n = text.length();
        char next = pos + 1 < n ? text.charAt(pos + 1) : 0;
        if (next == '{') {
            int close = text.indexOf('}', pos + 2);
            if (close < 0) {
                close = n - 1;
            }
            String inside = text.substring(pos + 2, Math.max(pos + 2, close));
            if (NAME.matcher(inside).matches()) {
                parts.add(new Part(PartKind.PARAM, inside, inDoubleQuotes));
            } else {
                parts.add(new Part(PartKind.UNSUPPORTED, "${" + inside + "}", inDoubleQuotes));
            }
            line += count(inside, '\n');
            pos = close + 1;
        } else if (next == '(') {
            int depth = 0;
            int i = pos + 1;
            for (; i < n; i++) {
                char c = text.charAt(i);
                if (c == '(') {
                    depth++;
                } else if (c == ')' && --depth == 0) {
                    break;
                }
            }
            String inside = text.substring(pos, Math.min(i + 1, n));
            parts.add(new Part(PartKind.UNSUPPORTED, inside, inDoubleQuotes));
            line += count(inside, '\n');
            pos = Math.min(i + 1, n);
        } else if (!inDoubleQuotes && next == '\'') {
            int close = text.indexOf('\'', pos + 2);
            close = close < 0 ? n - 1 : close;
            String inside = text.substring(pos, close + 1);
            parts.add(new Part(PartKind.UNSUPPORTED, inside, false));
            line += count(inside, '\n');
            pos = close + 1;
        } else if (!inDoubleQuotes && next == '"') {
            pos++; // $"..." is "..." translated by the locale: the same text
        } else if (next != 0 && (Character.isLetter(next) || next == '_') && next < 128) {
            Matcher m = NAME.matcher(text);
            m.region(pos + 1, n);
            m.lookingAt();
            parts.add(new Part(PartKind.PARAM, m.group(), inDoubleQuotes));
            pos = m.end();
        } else if (next != 0 && "0123456789@*#?$!-".indexOf(next) >= 0) {
            parts.add(new Part(PartKind.UNSUPPORTED, "$" + next, inDoubleQuotes));
            pos += 2;
        } else {
            literal(parts, "$", inDoubleQuotes);
            pos++;
        }
    }

    private void backquote(List<Part> parts) {
        int close = pos + 1;
        while (close < text.length() && text.charAt(close) != '`') {
            close += text.charAt(close) == '\\' ? 2 : 1;
        }
        close = Math.min(close, text.length() - 1);
        String inside = text.substring(pos, close + 1);
        parts.add(new Part(PartKind.UNSUPPORTED, inside, true));
        line += count(inside, '\n');
        pos = close + 1;
    }

    private static void literal(List<Part> parts, String s, boolean quoted) {
        if (!parts.isEmpty()) {
            Part last = parts.get(parts.size() - 1);
            if (last.kind == PartKind.LITERAL && last.quoted == quoted) {
                parts.set(parts.size() - 1, new Part(PartKind.LITERAL, last.text + s, quoted));
                return;
            }
        }
        parts.add(new Part(PartKind.LITERAL, s, quoted));
    }

    /**
     * A quote never closes: bash fails on the command it is in (from that command's first line to
     * the end of the file) and runs none of it. The command's words so far are dropped.
     */
    private void unterminated(int startLine, String quote) {
        int first = tokens.size();
        while (first > 0 && tokens.get(first - 1).kind == TokenKind.WORD) {
            first--;
        }
        int commandLine = first < tokens.size() ? tokens.get(first).line : startLine;
        tokens.subList(first, tokens.size()).clear();
        String rest = text.substring(lineStart(commandLine));
        vars.problems.add(new LaunchProblem(file, commandLine, "the command starting here never ends: a " + quote
                + " quote in it is not closed before the end of the file, so bash runs none of it",
                LaunchFlags.folderFlagsShown(rest)));
        pos = text.length();
    }

    private int lineStart(int lineNumber) {
        int at = 0;
        for (int l = 1; l < lineNumber && at >= 0; l++) {
            at = text.indexOf('\n', at) + 1;
        }
        return Math.max(0, at);
    }

    private static int count(String s, char c) {
        int k = 0;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == c) {
                k++;
            }
        }
        return k;
    }

    // --- running ----------------------------------------------------------------------------------

    private void run() {
        int depth = 0;          // inside if/case/loops/{ }/functions: cannot tell whether it runs
        int subshell = 0;       // inside ( ): runs, but changes nothing here
        boolean conditional = false;
        List<Token> command = new ArrayList<>();
        for (int i = 0; i <= tokens.size(); i++) {
            Token t = i < tokens.size() ? tokens.get(i) : null;
            if (t != null && t.kind == TokenKind.WORD) {
                String plain = t.word.plain();
                if ("{".equals(plain)) {
                    depth++; // a function body or a { } group
                    continue;
                }
                if (command.isEmpty() && plain != null && PREFIXES.contains(plain)) {
                    continue; // "then export X=1": the command after the keyword
                }
                if (command.isEmpty() && plain != null && CLOSERS.contains(plain)) {
                    depth = Math.max(0, depth - 1);
                    continue;
                }
                if (command.isEmpty() && plain != null && OPENERS.contains(plain)) {
                    depth++;
                }
                command.add(t);
                continue;
            }
            String op = t == null || t.kind == TokenKind.NEWLINE ? "\n" : t.operator;
            if (op.equals("(")) {
                if (command.isEmpty()) {
                    subshell++;
                } else {
                    command.clear(); // "name() {": a function's header; its body follows in { }
                }
                continue;
            }
            if (op.equals(")")) {
                if (subshell > 0) {
                    subshell--;
                } else {
                    command.clear(); // a case pattern "a)"
                }
                continue;
            }
            if (op.startsWith("<") || op.startsWith(">")) {
                i++; // a redirection and its target
                continue;
            }
            boolean pipedOut = op.equals("|") || op.equals("&");
            if (!command.isEmpty()) {
                boolean opener = command.get(0).word.plain() != null && OPENERS.contains(command.get(0).word.plain());
                if (!opener) {
                    boolean effective = !pipedOut && subshell == 0 && !previousWasPipe(command);
                    if (!execute(command, depth > 0 || conditional, effective)) {
                        return; // exit or return: the rest of the file does not run
                    }
                }
            }
            command.clear();
            conditional = op.equals("&&") || op.equals("||") ? true : op.equals("\n") || op.equals(";") ? false : conditional;
            lastOperator = op;
        }
    }

    private String lastOperator = "\n";

    private boolean previousWasPipe(List<Token> command) {
        return lastOperator.equals("|") || lastOperator.equals("|&");
    }

    /** Runs one simple command; false when it ends the file ({@code exit}, {@code return}). */
    private boolean execute(List<Token> command, boolean uncertain, boolean effective) {
        List<Word> words = new ArrayList<>();
        for (Token t : command) {
            words.add(t.word);
        }
        Token first = command.get(0);
        Token last = command.get(command.size() - 1);
        String raw = text.substring(first.start, last.end);
        int lineNo = first.line;
        int k = 0;
        while (k < words.size() && ASSIGNMENT.matcher(startText(words.get(k))).find()) {
            k++;
        }
        if (k == words.size()) {
            for (Word w : words) {
                assign(w, false, uncertain, effective, raw);
            }
            return true;
        }
        String name = words.get(k).plain();
        if (name == null || k > 0) {
            return true; // NAME=x cmd: the assignment is for that command only
        }
        switch (name) {
            case "export":
            case "declare":
            case "typeset":
            case "readonly":
            case "local": {
                boolean export = name.equals("export");
                for (Word w : words.subList(1, words.size())) {
                    String p = w.plain();
                    if (p != null && p.startsWith("-")) {
                        export |= p.contains("x") && !name.equals("export");
                        if (name.equals("export") && p.contains("n")) {
                            return true; // export -n: un-exports; leaves values as they are
                        }
                        continue;
                    }
                    if (ASSIGNMENT.matcher(startText(w)).find()) {
                        assign(w, export, uncertain, effective, raw);
                    } else if (p != null && effective && !uncertain && export) {
                        vars.export(p);
                    }
                }
                return true;
            }
            case "unset":
                for (Word w : words.subList(1, words.size())) {
                    String p = w.plain();
                    if (p != null && !p.startsWith("-") && effective) {
                        if (uncertain) {
                            vars.markUncertain(p, problem(lineNo, "unsets " + p + " inside an if, a loop or a function,"
                                    + " or after && or ||: sdmodel cannot tell whether that runs", raw));
                        } else {
                            vars.unset(p);
                        }
                    }
                }
                return true;
            case "source":
            case ".":
                if (LaunchFlags.mentionsLaunchVariable(raw) || !LaunchFlags.folderFlagsShown(raw).isEmpty()) {
                    vars.problems.add(problem(lineNo, "reads another file (" + raw.strip() + "), which sdmodel does not follow", raw));
                }
                return true;
            case "exit":
            case "return":
                return uncertain || !effective;
            default:
                return true;
        }
    }

    private static String startText(Word w) {
        if (w.parts.isEmpty() || w.parts.get(0).kind != PartKind.LITERAL || w.parts.get(0).quoted) {
            return "";
        }
        return w.parts.get(0).text;
    }

    private void assign(Word w, boolean export, boolean uncertain, boolean effective, String raw) {
        Matcher m = ASSIGNMENT.matcher(startText(w));
        m.find();
        String name = m.group(1);
        boolean append = !m.group(2).isEmpty();
        if (!effective) {
            return; // in a pipeline or a subshell: bash's own variables do not change
        }
        if (uncertain) {
            vars.markUncertain(name, problem(w.line, "sets " + name + " inside an if, a case, a loop or a function, or after"
                    + " && or ||: sdmodel cannot tell whether that runs", raw));
            return;
        }
        StringBuilder value = new StringBuilder();
        LaunchProblem trouble = null;
        List<Part> parts = w.parts;
        for (int i = 0; i < parts.size(); i++) {
            Part p = parts.get(i);
            String s = p.text;
            if (i == 0) {
                s = s.substring(m.end());
                if (!p.quoted && (s.equals("~") || s.startsWith("~/"))) {
                    String home = vars.get("HOME");
                    s = (home == null ? "~" : home) + s.substring(1);
                }
            }
            switch (p.kind) {
                case LITERAL:
                    value.append(s);
                    break;
                case PARAM: {
                    LaunchProblem u = vars.uncertainty(s);
                    if (u != null) {
                        trouble = trouble != null ? trouble : problem(w.line, "uses $" + s + ", which " + u.where() + " sets where"
                                + " sdmodel cannot tell whether it runs", raw);
                    } else if (!vars.isSet(s)) {
                        trouble = trouble != null ? trouble : problem(w.line, "uses $" + s + ", which is not set here"
                                + " (neither earlier in the file nor in sdmodel's environment)", raw);
                    }
                    String v = vars.get(s);
                    value.append(v == null ? "" : v);
                    break;
                }
                default:
                    trouble = trouble != null ? trouble : problem(w.line, "uses " + abbreviate(s)
                            + ", which sdmodel does not evaluate (only $NAME and ${NAME} are)", raw);
            }
        }
        String text = append ? (vars.get(name) == null ? "" : vars.get(name)) + value : value.toString();
        vars.set(name, text, new LaunchVariables.Origin(file, w.line), export);
        if (trouble != null) {
            vars.markUncertain(name, trouble);
        }
    }

    private static String abbreviate(String s) {
        String one = s.replace('\n', ' ');
        return one.length() > 40 ? one.substring(0, 37) + "..." : one;
    }

    private LaunchProblem problem(int lineNo, String message, String raw) {
        return new LaunchProblem(file, lineNo, message, LaunchFlags.folderFlagsShown(raw));
    }
}
