"""mailsink"""
