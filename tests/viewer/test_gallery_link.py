"""View > Gallery opens the linked gallery of the open shapes; "open" on an instance selects it here."""
from np_viewer.gallery.link import install_gallery_action


def test_gallery_action_opens_gallery_and_opens_instance_in_main_view(make_window, qtbot):
    window, doc, session = make_window()
    action = install_gallery_action(window)
    assert action.shortcut().toString() == "Ctrl+G"
    action.trigger()
    gallery = window.extension("gallery")
    try:
        entries = doc.library.entries
        assert [e.path for e in gallery.model.entries] == [e.path for e in entries]
        target = entries[-1].path
        gallery.open_instance.emit(target)
        assert doc.library.current == len(entries) - 1
    finally:
        window.shutdown()
