"""Checks for lesson 3 — the chain rule, reuse of downstream gradients, and forks.

Every reference comes from the engine (``Value``), run on seeded random
inputs with a random, non-unit upstream gradient, so an answer that forgets
the upstream factor cannot pass by luck.  Each check also computes the classic
wrong answers from the same inputs — a lost branch at a fork, a missing
upstream factor, the wrong intermediate, added instead of multiplied local
derivatives — and names the one the learner's answer matches.
"""
import numpy as np

from helpers.compare import as_numbers, expect, expect_all, is_placeholder
from helpers.engine import Value
from helpers.feedback import NotAttempted, Wrong, call_learner, checker

__all__ = ["check_exp_square_backward", "check_chain_gradients", "check_fork_backward",
           "check_fixed_backward", "check_relu_chain_backward"]

SHAPE = (2, 3)                                                    # non-square: a transpose cannot pass

OVERWRITTEN = ("it looks overwritten at a fork — `{name} = ...` where `{name} += ...` is needed. "
               "{var} feeds two gates ({a} and {b}), so its gradient is the sum of both branches' "
               "shares; only the share through {kept} is there, the share through {lost} was lost")


def _nonunit(rng, shape=SHAPE, low=0.5, high=2.0):
    """Return numbers of size low..high with random signs: never 0, never ±1 on purpose."""
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _call(fn, args, *, name, returns):
    """Call the learner's ``fn`` on copies of ``args``; return its outputs as a tuple of ``returns``.

    Raises NotAttempted for a placeholder and Wrong for a changed input, a
    missing ``return`` or the wrong number of outputs.
    """
    copies = tuple(np.array(a, dtype=np.float64) for a in args)
    out = call_learner(fn, *copies, name=name)
    for original, given in zip(args, copies):
        if not np.array_equal(original, given):
            raise Wrong(f"{name} changed one of its input arrays in place; compute new arrays instead")
    wanted = ", ".join(returns)
    if out is ...:
        raise NotAttempted
    if len(returns) == 1:
        return (out,)
    if not isinstance(out, (tuple, list)):
        if is_placeholder(out):
            raise NotAttempted
        raise Wrong(f"{name} should return the tuple ({wanted}); it returned one "
                    f"{type(out).__name__} — end with `return {wanted}`")
    if len(out) != len(returns):
        raise Wrong(f"{name} should return {len(returns)} things, ({wanted}); it returned {len(out)}")
    return tuple(out)


# ---------------------------------------------------------------- 3.1 chain rule
@checker("3.1")
def check_exp_square_backward(exp_square_backward):
    """Check (dy, dx) for T = exp(y), y = x**2 with a random upstream gradient dT."""
    rng = np.random.default_rng(31)
    x, dT = _nonunit(rng, low=0.3, high=1.2), _nonunit(rng)
    dy, dx = _call(exp_square_backward, (x, dT), name="exp_square_backward", returns=("dy", "dx"))

    vx = Value(x, name="x")
    vy = (vx ** 2).named("y")
    vT = vy.exp().named("T")
    vT.backward(seed=dT)
    y = x ** 2
    ref_dy, ref_dx = vy.grad, vx.grad
    missing_up = ("the upstream gradient is missing — the chain rule multiplies this gate's local "
                  "gradient by ")
    return expect_all({"dy": dy, "dx": dx}, {"dy": ref_dy, "dx": ref_dx}, mistakes={
        "dy": [
            (np.exp(y), missing_up + "dT, the gradient arriving at T"),
            (np.exp(x) * dT, "that is exp'(x), the derivative at the wrong intermediate: the exp gate's "
                             "input is y = x², so its local gradient is exp(y), not exp(x)"),
            (dT, "that passes dT through unchanged; multiply it by the exp gate's local gradient"),
            (ref_dx, "that is already dx; dy is one gate earlier in the backward pass"),
            (np.exp(y) + dT, "the local gradient and the upstream gradient are added; the chain rule "
                             "multiplies them"),
        ],
        "dx": [
            (2 * x, missing_up + "dy, the gradient arriving at y"),
            (2 * x * dT, "dT skips the exp gate: the square gate's upstream gradient is dy (which already "
                         "contains exp(y)), not dT"),
            (2 * x * np.exp(x) * dT, "that uses exp'(x) instead of exp'(y) = exp(x²): evaluate each local "
                                     "derivative at its own gate's input (the wrong intermediate)"),
            (ref_dy + 2 * x, "2x is added to dy; along a path the chain rule multiplies"),
            ((np.exp(y) + 2 * x) * dT, "the two local gradients exp(y) and 2x are added; along a path "
                                       "they multiply"),
            (x * ref_dy, "the power rule gives d(x²)/dx = 2x: the factor 2 is missing"),
            (ref_dy * x ** 2, "x² is the square gate's output; its local gradient is 2x"),
            (2 * x * np.exp(y), "the upstream gradient dT is missing: dx is 2x times dy, and dy carries "
                                "dT (you used exp(y) alone where dy belongs)"),
            (2 * ref_dy, "the square gate's local gradient is 2x, not 2: the factor x is missing"),
            (2 * y * ref_dy, "the square gate's input is x, so its local gradient is 2x, not 2y (the "
                             "wrong intermediate)"),
            (ref_dx * dT, "dT is counted twice: dy already contains it, so dx is 2x times dy, with no "
                          "second dT"),
        ],
    })


# ---------------------------------------------------------------- 3.2 a chain, reusing gradients
def _chain_reference(local, dout):
    """Return the engine's gradient on every node of the chain v[i+1] = v[i] * local[i]."""
    nodes = [Value(1.0, name="v0")]
    for i, factor in enumerate(local):
        nodes.append((nodes[-1] * float(factor)).named(f"v{i + 1}"))
    nodes[-1].backward(seed=dout)
    return np.array([node.grad.item() for node in nodes])


@checker("3.2")
def check_chain_gradients(chain_gradients):
    """Check the gradient on every node of a chain from its local gradients and dout."""
    rng = np.random.default_rng(32)
    for n in (6, 1):
        local, dout = _nonunit(rng, (n,)), float(_nonunit(rng, ()))
        (got,) = _call(chain_gradients, (local, np.float64(dout)), name="chain_gradients", returns=("grads",))
        reference = _chain_reference(local, dout)
        name = f"chain_gradients(local, dout) with {n} gate{'s' if n > 1 else ''}"
        answer = as_numbers(name, got, reference.shape)
        if answer.shape == (n,):
            raise Wrong(f"{name} returned {n} numbers; a chain of {n} gates joins {n + 1} nodes (x first, T "
                        f"last), so return {n + 1}, the last one being dout itself")
        tail = np.append(np.cumprod(local[::-1])[::-1], 1.0)          # local[i] · … · local[n-1]
        head = np.cumprod(np.append(1.0, local))                      # local[0] · … · local[i-1]
        forwards = ("the loop runs forwards: when node i is computed, the gradient of node i + 1 is not "
                    "known yet. Walk backwards from the end, for i in reversed(range(n))")
        started = {fill: np.append(np.full(n, fill), dout) for fill in (0.0, 1.0)}
        for grads in started.values():                                # what a forward loop leaves
            for i in range(n):
                grads[i] = local[i] * grads[i + 1]
        last = "the last entry is the gradient on vₙ = T itself, which is dout; the others are right"
        expect(name, answer, reference, mistakes=[
            (started[0.0], forwards),
            (started[1.0], forwards),
            (np.append(reference[:-1], 0.0), last),
            (np.append(reference[:-1], 1.0), last),
            (tail, "the upstream gradient dout is missing: every node's gradient carries it (the last "
                   "entry, T's own gradient, is dout)"),
            (dout * head, "the chain is walked the wrong way: node i's gradient multiplies the local "
                          "derivatives *after* node i (between it and T); start from dout at T and go back"),
            (dout + np.append(np.cumsum(local[::-1])[::-1], 0.0),
             "the local gradients are added; along a chain the chain rule multiplies them"),
            (np.append(local * dout, dout), "each node got only its own gate's local gradient times dout; "
                                            "reuse the gradient of the node after it, which already holds "
                                            "everything between that node and T"),
            (np.append(dout * tail[1:], dout), "off by one: node i's gradient includes local[i], the gate "
                                               "right after node i"),
            (reference[::-1], "the right gradients in reverse order (collected while walking back?): "
                              "grads[0] belongs to x, the first node, and grads[-1] = dout to T"),
        ])
    return ("all gradients are right, for 6 gates and for 1; computed from the end, each is the next one "
            "times one local gradient: one multiplication per gate")


# ---------------------------------------------------------------- 3.3 a fork
@checker("3.3")
def check_fork_backward(fork_backward):
    """Check (dy, dz, dx) for T = y * z with y = x**2, z = exp(-x): x forks into two branches."""
    rng = np.random.default_rng(33)
    x, dT = _nonunit(rng, low=0.3, high=1.5), _nonunit(rng)
    dy, dz, dx = _call(fork_backward, (x, dT), name="fork_backward", returns=("dy", "dz", "dx"))

    vx = Value(x, name="x")
    vy, vz = (vx ** 2).named("y"), (-vx).exp().named("z")
    vT = (vy * vz).named("T")
    vT.backward(seed=dT)
    y, z = vy.data, vz.data
    via_y, via_z = 2 * x * vy.grad, -z * vz.grad                   # the two branches' shares
    lost = dict(name="dx", var="x", a="y = x²", b="z = exp(−x)")
    reference = {"dy": vy.grad, "dz": vz.grad, "dx": vx.grad}
    return expect_all({"dy": dy, "dz": dz, "dx": dx}, reference, mistakes={
        "dy": [(z, "the upstream gradient dT is missing: multiply ∂T/∂y by it"),
               (y * dT, "multiply swaps: ∂T/∂y for T = y · z is the *other* factor, z")],
        "dz": [(y, "the upstream gradient dT is missing: multiply ∂T/∂z by it"),
               (z * dT, "multiply swaps: ∂T/∂z for T = y · z is the *other* factor, y")],
        "dx": [(via_y, OVERWRITTEN.format(kept="y = x²", lost="z = exp(−x)", **lost)),
               (via_z, OVERWRITTEN.format(kept="z = exp(−x)", lost="y = x²", **lost)),
               (via_y - via_z, "the branch through z = exp(−x) has the wrong sign: "
                               "d exp(−x)/dx = −exp(−x) (the minus comes from the −x inside, by the "
                               "chain rule)"),
               (via_y * via_z, "the two branches' shares are multiplied; at a fork they add"),
               (via_y - vz.grad, "the branch through z = exp(−x) misses the exp gate: dz/dx = exp(−x) · (−1) "
                                 "= −z, not just −1 (negate, then exp: two gates, two local gradients)"),
               (via_y - z * vy.grad, "the branch through z = exp(−x) must start from dz, the gradient "
                                     "arriving at z, not from dy"),
               (2 * vy.grad + via_z, "the branch through y = x²: the local gradient is 2x, not 2 (the factor "
                                     "x is missing)"),
               (2 * x * dT - z * dT, "both branches use dT, skipping the multiply gate T = y · z: the "
                                     "gradient arriving at y is dy, at z it is dz"),
               (2 * x * z - z * y, "the upstream gradient dT is missing from both branches"),
               (dT * (z + 2 * x) + dT * (y - z), "local gradients are added along each path; along a "
                                                "path they multiply, only the branches add")],
    })


# ---------------------------------------------------------------- 3.4 spot the bug
def _bug_reference(x, y, dT):
    """Return the engine's dx, dy for T = (x·y + y)² · x, each branch's share, and the forward values."""
    vx, vy = Value(x, name="x"), Value(y, name="y")
    p = (vx * vy).named("p")
    q = (p + vy).named("q")
    r = (q ** 2).named("r")
    T = (r * vx).named("T")
    T.backward(seed=dT)
    (x_via_p, y_via_p), (_, y_via_q), (_, x_via_T) = p.shares(), q.shares(), T.shares()
    shares = {"x via p": x_via_p, "x via T": x_via_T, "y via p": y_via_p, "y via q": y_via_q, "dp": p.grad}
    return vx.grad, vy.grad, shares, {"q": q.data, "r": r.data}


@checker("3.4")
def check_fixed_backward(fixed_backward):
    """Check (dx, dy) for T = (x·y + y)² · x, where x and y each feed two gates."""
    rng = np.random.default_rng(34)
    x, y, dT = _nonunit(rng, low=0.5, high=1.5), _nonunit(rng, low=0.5, high=1.5), _nonunit(rng)
    dx, dy = _call(fixed_backward, (x, y, dT), name="fixed_backward", returns=("dx", "dy"))
    ref_dx, ref_dy, share, fwd = _bug_reference(x, y, dT)
    for_x = dict(name="dx", var="x", a="p = x·y", b="T = r·x")
    for_y = dict(name="dy", var="y", a="p = x·y", b="q = p + y")
    no_dT = ("the upstream gradient dT is missing: it enters at the last gate, T = r·x, and every "
             "gradient below that gate carries it")
    # T = r·x without the swap: dr = r·dT and x's share r·dT becomes x·dT
    unswapped_dp = 2 * fwd["q"] * fwd["r"] * dT
    return expect_all({"dx": dx, "dy": dy}, {"dx": ref_dx, "dy": ref_dy}, mistakes={
        "dx": [(share["x via p"], OVERWRITTEN.format(kept="p = x·y", lost="T = r·x", **for_x)),
               (share["x via T"], OVERWRITTEN.format(kept="T = r·x", lost="p = x·y", **for_x)),
               (ref_dy, "that is dy: return dx first, then dy"),
               (share["x via T"] + x * share["dp"], "multiply swaps at p = x·y: x's share is its partner y "
                                                    "times dp, not x·dp"),
               (ref_dx / dT, no_dT),
               (x * dT + y * unswapped_dp, "multiply swaps at T = r·x: x's share is r·dT and r's gradient "
                                           "is x·dT, not the other way round")],
        "dy": [(share["y via p"], OVERWRITTEN.format(kept="p = x·y", lost="q = p + y", **for_y)),
               (share["y via q"], OVERWRITTEN.format(kept="q = p + y", lost="p = x·y", **for_y)),
               (ref_dx, "that is dx: return dx first, then dy"),
               (share["y via q"] + y * share["dp"], "multiply swaps at p = x·y: y's share is its partner x "
                                                    "times dp, not y·dp"),
               (ref_dy / dT, no_dT)],
    }, backward=False)


# ---------------------------------------------------------------- 3.5 relu inside a chain
def relu_chain_inputs(seed=35):
    """Return x, w, b, v, dT of shape (2, 3), with u = w·x + b exactly 0 at two places."""
    rng = np.random.default_rng(seed)
    x, w, v, dT = _nonunit(rng), _nonunit(rng), _nonunit(rng), _nonunit(rng)
    # aim u at both sides of the kink, not always on x's side, and exactly onto it twice
    side = np.where(x > 0, [[1, 0, -1], [-1, 1, 0]], [[1, 0, 1], [-1, -1, 0]])
    b = side * rng.uniform(0.5, 2.0, size=SHAPE) - w * x
    kink = side == 0
    b[kink] = -(w[kink] * x[kink])                                 # w·x + b is exactly 0 here
    return x, w, b, v, dT


@checker("3.5")
def check_relu_chain_backward(relu_chain_backward):
    """Check (dr, du, dx) for T = v * relu(u), u = w * x + b, including u exactly 0."""
    x, w, b, v, dT = relu_chain_inputs()
    dr, du, dx = _call(relu_chain_backward, (x, w, b, v, dT), name="relu_chain_backward",
                       returns=("dr", "du", "dx"))

    vx, vw, vb, vv = Value(x, name="x"), Value(w, name="w"), Value(b, name="b"), Value(v, name="v")
    u = (vw * vx + vb).named("u")
    r = u.relu().named("r")
    T = (vv * r).named("T")
    T.backward(seed=dT)
    ud, ref_dr, ref_du = u.data, r.grad, u.grad
    open_ = (ud > 0).astype(float)
    tie_half = np.where(ud > 0, 1.0, np.where(ud == 0, 0.5, 0.0))
    return expect_all({"dr": dr, "du": du, "dx": dx}, {"dr": ref_dr, "du": ref_du, "dx": vx.grad}, mistakes={
        "dr": [(v, "the upstream gradient dT is missing: multiply ∂T/∂r by it"),
               (dT, "the multiply gate T = v · r is skipped: multiply dT by its local gradient v"),
               (r.data * dT, "multiply swaps: ∂T/∂r for T = v · r is v, the other factor")],
        "du": [((ud >= 0) * ref_dr, "at exactly u = 0 relu has no derivative, and this course uses 0 "
                                   "there: test u > 0, not u >= 0"),
               (tie_half * ref_dr, "0.5 at u = 0 is the max gate's even split at a tie between two inputs "
                                   "(and what a centred difference measures); relu's other input is the "
                                   "constant 0, which takes no share, and the course's relu uses 0 at 0"),
               ((x > 0) * ref_dr, "the relu switch depends on relu's own input u = w·x + b, not on x: "
                                  "take the local gradient at the intermediate u (the wrong "
                                  "intermediate)"),
               (ref_dr, "relu's local gradient is missing: the gradient must stop where the gate is "
                        "closed (u < 0)"),
               (np.maximum(ud, 0) * ref_dr, "relu(u) is the gate's output; its local gradient is its "
                                            "slope: 1 where the gate is open, 0 where it is closed"),
               (open_ * dT, "dT skips the multiply gate: relu's upstream gradient is dr, not dT"),
               (open_, "the upstream gradient dr is missing: multiply relu's local gradient by it"),
               (np.sign(ud) * ref_dr, "where relu is closed (u < 0) its slope is 0, not −1: np.sign(u) is "
                                      "not relu's local gradient")],
        "dx": [(ref_du, "the local gradient of u = w·x + b with respect to x is missing (the chain rule "
                        "goes through this last gate too)"),
               (x * ref_du, "multiply swaps: for w·x the gradient on x uses w, the other factor"),
               (ref_du + w, "w is added to du; along a path the chain rule multiplies"),
               (w * ref_dr, "dx must come through relu: use du (which is 0 where relu is closed), not dr"),
               (w * (ud >= 0) * ref_dr, "at exactly u = 0 relu passes nothing in this course: the path "
                                        "through a closed relu carries no gradient (test u > 0)")],
    })
