"""Seeded procedural shape families with exact ground-truth parts.

Each part is built as a closed solid with manifold3d (spheres, hulls of spheres, boxes,
convex hulls of points) and the parts are unioned with manifold's exact booleans. Manifold
remembers which input solid every output triangle came from, so the face labels are
exact, and the union is watertight by construction. Axes: y up, the shape faces +z
(humanoid front, chair front, airplane nose); +x is the shape's left.
"""
from __future__ import annotations

from typing import Callable

import manifold3d as m3
import numpy as np
import trimesh

Manifold = m3.Manifold

PART_NAMES: dict[str, list[str]] = {
    "humanoid": ["head", "torso", "arm_left", "arm_right", "leg_left", "leg_right"],
    "chair": ["seat", "back", "leg_front_left", "leg_front_right", "leg_back_left",
              "leg_back_right", "arm_left", "arm_right"],
    "airplane": ["fuselage", "wing_left", "wing_right", "stabilizer_left", "stabilizer_right",
                 "fin", "engines"],
}
# Parts a given instance may lack (everything else is always present).
OPTIONAL_PARTS: dict[str, frozenset[str]] = {
    "humanoid": frozenset(),
    "chair": frozenset({"arm_left", "arm_right"}),
    "airplane": frozenset({"engines"}),
}
FAMILIES: tuple[str, ...] = tuple(PART_NAMES)


class UnknownFamilyError(ValueError):
    pass


def generate(family: str, seed: int, segments: int = 24
             ) -> tuple[trimesh.Trimesh, np.ndarray, list[str]]:
    """Build one shape: (watertight mesh, face part labels (T,) int64, part names).

    Labels index ``PART_NAMES[family]`` (the same list for every instance, so label k means
    the same part across a family). ``segments`` sets the tessellation of round pieces.
    """
    builders: dict[str, Callable[[np.random.Generator, int], list[tuple[str, Manifold]]]] = {
        "humanoid": _humanoid, "chair": _chair, "airplane": _airplane,
    }
    if family not in builders:
        raise UnknownFamilyError(
            f"unknown shape family '{family}' (choose from {', '.join(FAMILIES)})")
    rng = np.random.default_rng([int(seed), FAMILIES.index(family)])
    parts = builders[family](rng, segments)
    mesh, labels = _assemble(parts, PART_NAMES[family])
    return mesh, labels, list(PART_NAMES[family])


# ----------------------------------------------------------------------------- assembly

def _assemble(parts: list[tuple[str, Manifold]], names: list[str]) -> tuple[trimesh.Trimesh, np.ndarray]:
    """Union labelled solids; return the mesh and a label per face from manifold's provenance."""
    solids, id_to_label = [], {}
    for name, solid in parts:
        solid = solid.as_original()  # one fresh provenance id per part
        id_to_label[solid.original_id()] = names.index(name)
        solids.append(solid)
    union = Manifold.batch_boolean(solids, m3.OpType.Add)
    out = union.to_mesh()
    verts = np.asarray(out.vert_properties, dtype=np.float64)[:, :3]
    faces = np.asarray(out.tri_verts, dtype=np.int64)
    run_index = np.asarray(out.run_index, dtype=np.int64) // 3
    labels = np.full(len(faces), -1, dtype=np.int64)
    for r, original in enumerate(np.asarray(out.run_original_id)):
        labels[run_index[r]:run_index[r + 1]] = id_to_label[int(original)]
    if (labels < 0).any():
        raise RuntimeError("manifold lost the provenance of some triangles")
    mesh = trimesh.Trimesh(vertices=verts, faces=faces, process=False)
    return mesh, labels


def _capsule(a, b, ra: float, rb: float, seg: int) -> Manifold:
    """Tapered capsule: convex hull of two spheres."""
    return Manifold.batch_hull([Manifold.sphere(ra, seg).translate(list(map(float, a))),
                                Manifold.sphere(rb, seg).translate(list(map(float, b)))])


def _limb(joints, tapers, radius: float, seg: int) -> Manifold:
    """Capsules joining consecutive ``joints``; segment k runs from ``radius * tapers[k][0]`` to
    ``radius * tapers[k][1]``."""
    return Manifold.batch_boolean([_capsule(a, b, radius * ra, radius * rb, seg)
                                   for a, b, (ra, rb) in zip(joints, joints[1:], tapers)], m3.OpType.Add)


def _ellipsoid(centre, radii, seg: int) -> Manifold:
    return Manifold.sphere(1.0, seg).scale(list(map(float, radii))).translate(list(map(float, centre)))


def _box(centre, size, rotation_deg=(0.0, 0.0, 0.0)) -> Manifold:
    return (Manifold.cube(list(map(float, size)), True)
            .rotate(list(map(float, rotation_deg))).translate(list(map(float, centre))))


def _hull(points) -> Manifold:
    return Manifold.hull_points(np.asarray(points, dtype=np.float64))


def _rot(axis, angle: float) -> np.ndarray:
    """Rotation matrix about ``axis`` by ``angle`` radians (Rodrigues)."""
    axis = np.asarray(axis, dtype=np.float64)
    axis = axis / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)


# ----------------------------------------------------------------------------- humanoid

def _humanoid(rng: np.random.Generator, seg: int) -> list[tuple[str, Manifold]]:
    u = rng.uniform
    height = u(1.5, 1.9)
    s = height / 1.7
    bulk = u(0.8, 1.25)                       # overall limb/torso thickness
    leg_len = u(0.44, 0.52) * height           # hip to ankle
    thigh_frac = u(0.48, 0.54)
    torso_len = u(0.28, 0.34) * height
    hip_w = u(0.16, 0.22) * s * bulk ** 0.5
    shoulder_w = u(0.34, 0.44) * s
    arm_len = u(0.40, 0.48) * height
    head_r = u(0.095, 0.12) * s
    pelvis_y = leg_len + 0.06 * s
    lean = np.radians(u(-12, 12))              # spine bend forward/back

    pelvis = np.array([0.0, pelvis_y, 0.0])
    spine_dir = _rot([1, 0, 0], -lean) @ np.array([0.0, 1.0, 0.0])
    chest = pelvis + torso_len * spine_dir
    neck_base = chest + 0.05 * s * spine_dir
    head_tilt = _rot([1, 0, 0], np.radians(u(-20, 20))) @ _rot([0, 0, 1], np.radians(u(-15, 15)))
    head_dir = head_tilt @ spine_dir
    head_centre = neck_base + (0.06 * s + head_r) * head_dir
    head = Manifold.batch_boolean([
        _capsule(chest, neck_base + 0.06 * s * head_dir, 0.05 * s * bulk, 0.045 * s * bulk, seg),
        _ellipsoid(head_centre, [head_r * 0.85, head_r * 1.1, head_r * 0.95], seg),
    ], m3.OpType.Add)

    parts: list[tuple[str, Manifold]] = [("head", head)]
    for side, sx in (("left", 1.0), ("right", -1.0)):
        # Arm: shoulder abduction (about z) then flexion (about x), elbow bends forward.
        shoulder = chest + np.array([sx * shoulder_w * 0.5, -0.02 * s, 0.0])
        abd = np.radians(u(5, 100))
        flex = np.radians(u(-40, 110))
        r_sh = _rot([1, 0, 0], -flex) @ _rot([0, 0, 1], sx * abd)
        upper_dir = r_sh @ np.array([0.0, -1.0, 0.0])
        elbow = shoulder + arm_len * 0.45 * upper_dir
        r_el = _rot(r_sh @ np.array([1.0, 0.0, 0.0]), -np.radians(u(0, 130))) @ r_sh
        wrist = elbow + arm_len * 0.40 * (r_el @ np.array([0.0, -1.0, 0.0]))
        hand = wrist + arm_len * 0.12 * (r_el @ np.array([0.0, -1.0, 0.0]))
        ar = 0.045 * s * bulk
        arm = _limb([shoulder, elbow, wrist, hand], [(1.1, 0.9), (0.9, 0.7), (0.75, 0.6)], ar, seg)
        parts.append((f"arm_{side}", arm))

        # Leg: hip abduction then flexion, knee bends backward, foot points forward.
        hip = pelvis + np.array([sx * hip_w * 0.5, -0.02 * s, 0.0])
        h_abd = np.radians(u(0, 30))
        h_flex = np.radians(u(-25, 80))
        r_hip = _rot([1, 0, 0], -h_flex) @ _rot([0, 0, 1], sx * h_abd)
        knee = hip + leg_len * thigh_frac * (r_hip @ np.array([0.0, -1.0, 0.0]))
        r_knee = _rot(r_hip @ np.array([1.0, 0.0, 0.0]), np.radians(u(0, 110))) @ r_hip
        ankle = knee + leg_len * (1 - thigh_frac) * (r_knee @ np.array([0.0, -1.0, 0.0]))
        toe = ankle + 0.2 * s * (r_knee @ np.array([0.0, -0.2, 1.0]))
        lr = 0.07 * s * bulk
        leg = _limb([hip, knee, ankle, toe], [(1.15, 0.8), (0.8, 0.55), (0.55, 0.45)], lr, seg)
        parts.append((f"leg_{side}", leg))

    # The trunk is built last so that its random draws come after all the others.
    t_r = 0.11 * s * bulk
    waist = pelvis + u(0.4, 0.5) * torso_len * spine_dir
    waist_w = u(0.55, 0.8) * hip_w
    hips = [_ellipsoid(pelvis + [sx * hip_w * 0.5, 0, 0], [t_r, t_r * 0.9, t_r * 0.75], seg) for sx in (-1, 1)]
    belly = [_ellipsoid(waist + [sx * waist_w * 0.5, 0, 0], [t_r * 0.9, t_r * 0.8, t_r * 0.7], seg)
             for sx in (-1, 1)]
    ribs = [_ellipsoid(chest + [sx * (shoulder_w * 0.5 - 0.06 * s), -0.03 * s, 0], [t_r, t_r, t_r * 0.8], seg)
            for sx in (-1, 1)]
    # two hulls meeting at the waist, so the trunk narrows there instead of being a box
    torso = Manifold.batch_boolean([Manifold.batch_hull(hips + belly), Manifold.batch_hull(belly + ribs)],
                                   m3.OpType.Add)

    parts.insert(0, ("torso", torso))
    return parts


# ----------------------------------------------------------------------------- chair

def _chair(rng: np.random.Generator, seg: int) -> list[tuple[str, Manifold]]:
    u = rng.uniform
    sw, sd, st = u(0.40, 0.62), u(0.38, 0.56), u(0.03, 0.08)
    sh = u(0.38, 0.52)                                # top of seat
    round_seat = rng.random() < 0.2
    seat_centre = np.array([0.0, sh - st / 2, 0.0])
    if round_seat:
        r = min(sw, sd) / 2
        seat = (Manifold.cylinder(st, r, r, max(seg, 16), True)
                .rotate([90.0, 0.0, 0.0]).translate(list(seat_centre)))
        half_w = half_d = r * 0.72
    else:
        seat = _box(seat_centre, [sw, st, sd])
        half_w, half_d = sw / 2, sd / 2
    parts: list[tuple[str, Manifold]] = [("seat", seat)]

    leg_style = rng.choice(["box", "round", "splayed"])
    lt = u(0.025, 0.055)
    inset = u(0.01, 0.05)
    leg_top_y = sh - st + 0.005
    for zname, sz in (("front", 1.0), ("back", -1.0)):
        for xname, sx in (("left", 1.0), ("right", -1.0)):
            top = np.array([sx * (half_w - inset - lt / 2), leg_top_y, sz * (half_d - inset - lt / 2)])
            if leg_style == "box":
                leg = _box([top[0], leg_top_y / 2, top[2]], [lt, leg_top_y, lt])
            elif leg_style == "round":
                leg = (Manifold.cylinder(leg_top_y, lt / 2, lt / 2, max(seg // 2, 8), False)
                       .rotate([-90.0, 0.0, 0.0]).translate([top[0], 0.0, top[2]]))
            else:
                splay = u(0.03, 0.09)
                foot = np.array([top[0] + sx * splay, lt / 2, top[2] + sz * splay])
                leg = _capsule(top, foot, lt / 2, lt * 0.4, max(seg // 2, 8))
            parts.append((f"leg_{zname}_{xname}", leg))

    # Back: a panel, slats between two posts, or a frame with rails; tilted backwards.
    bh = u(0.30, 0.62)
    bt = u(0.025, 0.06)
    tilt = u(0, 18)
    back_style = rng.choice(["panel", "slats", "frame"])
    bw = 2 * half_w * u(0.85, 1.0)
    pieces: list[Manifold] = []
    if back_style == "panel":
        pieces.append(_box([0, bh / 2, 0], [bw, bh, bt]))
    else:
        post = max(lt * 0.9, 0.025)
        for sx in (-1, 1):
            pieces.append(_box([sx * (bw / 2 - post / 2), bh / 2, 0], [post, bh, bt]))
        rail_h = u(0.05, 0.12)
        pieces.append(_box([0, bh - rail_h / 2, 0], [bw, rail_h, bt]))
        if back_style == "slats":
            n = int(rng.integers(2, 6))
            for i in range(n):
                x = (-bw / 2 + post) + (i + 1) * (bw - 2 * post) / (n + 1)
                pieces.append(_box([x, (bh - rail_h) / 2, 0], [0.035, bh - rail_h, bt * 0.7]))
        else:
            pieces.append(_box([0, bh * u(0.3, 0.55), 0], [bw, rail_h * 0.8, bt]))
    back = (Manifold.batch_boolean(pieces, m3.OpType.Add)
            .rotate([-tilt, 0.0, 0.0]).translate([0.0, sh - 0.01, -half_d + bt / 2]))
    parts.append(("back", back))

    if rng.random() < 0.4:  # arms: a rest on a front post, joined to the back
        ah = u(0.15, 0.26)
        aw = u(0.04, 0.07)
        for side, sx in (("left", 1.0), ("right", -1.0)):
            x = sx * (half_w - aw / 2)
            rest = _box([x, sh + ah, -0.02], [aw, 0.03, 2 * half_d * 0.95])
            post = _box([x, sh + ah / 2, half_d * 0.8], [aw * 0.7, ah, aw * 0.7])
            parts.append((f"arm_{side}", Manifold.batch_boolean([rest, post], m3.OpType.Add)))
    return parts


# ----------------------------------------------------------------------------- airplane

def _wing_points(root_le, root_chord, span_vec, sweep, tip_chord, t_root, t_tip) -> np.ndarray:
    """Eight corners of a tapered, swept slab from the root leading edge along ``span_vec``."""
    root_le = np.asarray(root_le, dtype=np.float64)
    tip_le = root_le + np.asarray(span_vec, dtype=np.float64) + np.array([0.0, 0.0, -sweep])
    pts = []
    for le, chord, t in ((root_le, root_chord, t_root), (tip_le, tip_chord, t_tip)):
        for dz in (0.0, -chord):
            for dy in (-t / 2, t / 2):
                pts.append(le + np.array([0.0, dy, dz]))
    return np.array(pts)


def _airplane(rng: np.random.Generator, seg: int) -> list[tuple[str, Manifold]]:
    u = rng.uniform
    L = u(0.9, 1.3)                       # fuselage length, nose at +z
    r = u(0.045, 0.08) * L
    nose_len = u(0.08, 0.18) * L
    fuselage = Manifold.batch_hull([
        Manifold.sphere(r * 0.35, seg).translate([0.0, -r * 0.1, L / 2]),
        _ellipsoid([0.0, 0.0, L / 2 - nose_len], [r, r, r], seg),
        _ellipsoid([0.0, 0.0, -L * u(0.1, 0.25)], [r, r, r], seg),
        Manifold.sphere(r * u(0.2, 0.4), seg).translate([0.0, r * 0.6, -L / 2]),
    ])
    parts: list[tuple[str, Manifold]] = [("fuselage", fuselage)]

    span = u(0.8, 1.4) * L / 2           # one wing
    root_chord = u(0.18, 0.3) * L
    tip_chord = root_chord * u(0.25, 0.7)
    sweep = u(0.0, 0.7) * span
    wing_z = u(-0.05, 0.15) * L + root_chord / 2
    wing_y = u(-0.6, 0.5) * r
    dihedral = np.radians(u(-3, 8))
    t_root = u(0.02, 0.04) * L
    for side, sx in (("left", 1.0), ("right", -1.0)):
        span_vec = np.array([sx * span * np.cos(dihedral), span * np.sin(dihedral), 0.0])
        pts = _wing_points([0.0, wing_y, wing_z], root_chord, span_vec, sweep, tip_chord,
                           t_root, t_root * 0.4)
        parts.append((f"wing_{side}", _hull(pts)))

    h_span = span * u(0.25, 0.45)
    h_root = root_chord * u(0.4, 0.6)
    h_z = -L / 2 + h_root * u(0.9, 1.2)
    h_y = r * u(0.0, 0.6)
    for side, sx in (("left", 1.0), ("right", -1.0)):
        pts = _wing_points([0.0, h_y, h_z], h_root, [sx * h_span, 0.0, 0.0], h_span * u(0.2, 0.6),
                           h_root * u(0.4, 0.7), t_root * 0.7, t_root * 0.35)
        parts.append((f"stabilizer_{side}", _hull(pts)))

    f_height = u(0.12, 0.25) * L
    f_root = root_chord * u(0.5, 0.8)
    f_z = -L / 2 + f_root * u(0.95, 1.15)
    f_sweep = f_height * u(0.3, 1.0)
    f_tip = f_root * u(0.35, 0.7)
    ft = t_root * 0.7
    fin_pts = []
    for base, chord, dz in (([0.0, r * 0.3, f_z], f_root, 0.0),
                            ([0.0, r * 0.3 + f_height, f_z - f_sweep], f_tip, 0.0)):
        for cz in (0.0, -chord):
            for dx in (-ft / 2, ft / 2):
                fin_pts.append(np.array(base) + [dx, 0.0, cz + dz])
    parts.append(("fin", _hull(fin_pts)))

    if rng.random() < 0.5:  # engines under the wings, one or two per side
        n_per_side = int(rng.integers(1, 3))
        er = u(0.035, 0.06) * L * 0.6
        el = u(0.15, 0.25) * L
        pods = []
        for sx in (1.0, -1.0):
            for k in range(n_per_side):
                frac = (k + 1) / (n_per_side + 1) * 0.8 + 0.1
                x = sx * span * frac * np.cos(dihedral)
                z_le = wing_z - sweep * frac
                y = wing_y + span * frac * np.sin(dihedral) - t_root / 2 - er * 0.9
                pods.append(_capsule([x, y, z_le + el * 0.4], [x, y, z_le - el * 0.6], er, er * 0.8, seg))
                # pylon joining the pod to the wing so the part is not floating
                pods.append(_box([x, y + er * 0.9, z_le - el * 0.1], [er * 0.3, er * 1.2, el * 0.4]))
        parts.append(("engines", Manifold.batch_boolean(pods, m3.OpType.Add)))
    return parts
